import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ModelDevice } from './model-options.js';

/** The library ONNX Runtime loads before any GPU execution provider on Linux. */
const PROVIDERS_SHARED = 'libonnxruntime_providers_shared.so';

let cached: { folder: string | undefined } | undefined;

/** The folder of the installed onnxruntime-node's native binding for this platform; undefined when not found. */
function bindingFolder(): string | undefined {
  if (cached) return cached.folder;
  let folder: string | undefined;
  try {
    const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
    // onnxruntime-node's main is dist/index.js: the package root is one folder up.
    const root = dirname(dirname(req.resolve('onnxruntime-node')));
    const bin = join(root, 'bin');
    for (const napi of readdirSync(bin)) {
      const f = join(bin, napi, process.platform, process.arch);
      if (existsSync(join(f, 'onnxruntime_binding.node'))) folder = f;
    }
  } catch {
    folder = undefined; // not installed, or another layout: nothing to tell in advance
  }
  cached = { folder };
  return folder;
}

/**
 * Why a GPU device cannot work here, found without asking ONNX Runtime (which prints a red
 * `Failed to load library ...providers_shared.so` line to stderr before it throws): on Linux, `cuda` and `gpu` need
 * the CUDA build of onnxruntime-node, whose binding folder holds `libonnxruntime_providers_shared.so`. Undefined
 * when the device may work (or the layout is not the one known here: ONNX Runtime is then asked as before).
 *
 * @param device - the requested device
 * @internal
 */
export function missingCudaProvider(device: ModelDevice): string | undefined {
  if (process.platform !== 'linux' || (device !== 'cuda' && device !== 'gpu')) return undefined;
  const folder = bindingFolder();
  if (folder === undefined || existsSync(join(folder, PROVIDERS_SHARED))) return undefined;
  return `the installed onnxruntime-node is the CPU build: no ${PROVIDERS_SHARED} in ${folder}`;
}
