import { BotlensError } from './botlens-error.js';
import type { BotlensErrorCode } from './error-codes.js';

/**
 * Why an adapter was refused (a part of {@link BotlensErrorCode}):
 * - `ADAPTER_MISMATCH`: the adapter does not fit the base model (a module it targets is missing there, or
 *   shapes differ);
 * - `ADAPTER_UNSUPPORTED`: the adapter uses a PEFT method or option botlens cannot apply faithfully (DoRA,
 *   another PEFT type...);
 * - `ADAPTER_INVALID`: the adapter folder is incomplete or its files are malformed.
 */
export type AdapterErrorCode = Extract<BotlensErrorCode, `ADAPTER_${string}`>;

/**
 * A PEFT adapter could not be loaded or merged. The message names the module at fault (when there is one) and
 * what to do; `module` carries it for programs. An adapter is never applied partly: a mismatch is an error,
 * not a silently unmodified model.
 *
 * @example
 * ```ts
 * try {
 *   await mergeLoraAdapter({ base, adapter, out });
 * } catch (err) {
 *   if (AdapterError.isInstance(err)) console.error(err.code, err.module, err.message);
 * }
 * ```
 */
export class AdapterError extends BotlensError {
  /** The module path at fault, e.g. `bert.encoder.layer.0.attention.self.query`, when there is one. */
  readonly module: string | undefined;

  /**
   * @param code - which kind of problem
   * @param message - what is wrong and what to do
   * @param options - the module at fault and the underlying cause
   */
  constructor(code: AdapterErrorCode, message: string, options?: { module?: string; cause?: unknown }) {
    super(code, message, options);
    this.name = 'AdapterError';
    this.module = options?.module;
  }

  /** True when `value` is an AdapterError from any copy of the package. */
  static override isInstance(value: unknown): value is AdapterError {
    return BotlensError.isInstance(value) && value.code.startsWith('ADAPTER_');
  }
}
