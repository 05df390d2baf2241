import type { BotlensErrorCode } from './error-codes.js';

const marker = Symbol.for('botlens.error');

/**
 * Base class of every error botlens throws on purpose.
 *
 * Use {@link BotlensError.isInstance} rather than `instanceof` when two copies of botlens may be loaded
 * (an ESM and a CJS copy, or two versions in one dependency tree): it checks a global symbol, not the prototype.
 *
 * @example
 * ```ts
 * try {
 *   await detector.detect(transcript);
 * } catch (err) {
 *   if (BotlensError.isInstance(err)) console.error(err.code, err.message);
 *   else throw err;
 * }
 * ```
 */
export class BotlensError extends Error {
  /** Stable machine-readable code, e.g. `INVALID_TRANSCRIPT`: one of {@link BOTLENS_ERROR_CODES}. */
  readonly code: BotlensErrorCode;
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through the global symbol in isInstance
  private readonly [marker] = true;

  /**
   * @param code - stable machine-readable code
   * @param message - what went wrong and what to do about it
   * @param options - the underlying cause, if any
   */
  constructor(code: BotlensErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BotlensError';
    this.code = code;
  }

  /** True when `value` is a botlens error from any copy of the package. */
  static isInstance(value: unknown): value is BotlensError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
