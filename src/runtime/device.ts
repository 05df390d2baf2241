import type { ModelDevice } from './model-options.js';

/** What {@link withDeviceFallback} returns: the loaded value and the device it actually runs on. */
export interface DeviceResult<T> {
  /** The value `load` produced. */
  value: T;
  /** `cpu` after a fallback, else the requested device. */
  device: ModelDevice;
}

/**
 * Runs `load` on the requested device; when that device is not `cpu` and loading fails (transformers.js and
 * ONNX Runtime throw instead of falling back when CUDA is missing), warns once through `warn` and loads on the
 * CPU instead. An error on the CPU is passed on unchanged.
 *
 * @param device - the requested device
 * @param load - loads on the given device
 * @param warn - receives the fallback warning (default: `process.emitWarning` with code `BOTLENS_DEVICE_FALLBACK`)
 *
 * @example
 * ```ts
 * const { value, device } = await withDeviceFallback('cuda', (d) => loadSession(d));
 * ```
 */
export async function withDeviceFallback<T>(
  device: ModelDevice,
  load: (device: ModelDevice) => Promise<T>,
  warn: (message: string) => void = emitDeviceWarning,
): Promise<DeviceResult<T>> {
  if (device === 'cpu') return { value: await load('cpu'), device: 'cpu' };
  try {
    return { value: await load(device), device };
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    warn(`botlens: device "${device}" is not available (${reason}); running on the CPU instead.`);
    return { value: await load('cpu'), device: 'cpu' };
  }
}

function emitDeviceWarning(message: string): void {
  process.emitWarning(message, { code: 'BOTLENS_DEVICE_FALLBACK' });
}
