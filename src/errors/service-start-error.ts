import { BotlensError } from './botlens-error.js';

/**
 * The HTTP service refused to start: a security setting that cannot be honoured (an API-key variable that is
 * unset, a public address without a key), a required detector that cannot load, or a port already in use.
 * The message says what to change.
 *
 * @example
 * ```ts
 * try {
 *   await startService(config);
 * } catch (err) {
 *   if (ServiceStartError.isInstance(err)) console.error(err.message);
 * }
 * ```
 */
export class ServiceStartError extends BotlensError {
  /** @param message - what stopped start-up and how to fix it */
  constructor(message: string, options?: { cause?: unknown }) {
    super('SERVICE_START', message, options);
    this.name = 'ServiceStartError';
  }

  /** True when `value` is a ServiceStartError from any copy of the package. */
  static override isInstance(value: unknown): value is ServiceStartError {
    return BotlensError.isInstance(value) && value.code === 'SERVICE_START';
  }
}
