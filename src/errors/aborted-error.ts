import { BotlensError } from './botlens-error.js';

/**
 * Work was cancelled through an `AbortSignal`. The original abort reason is kept as `cause`.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * ac.abort();
 * await detector.detect(t, { signal: ac.signal }); // rejects with AbortedError
 * ```
 */
export class AbortedError extends BotlensError {
  /** @param what - the operation that was cancelled */
  constructor(what: string, options?: { cause?: unknown }) {
    super('ABORTED', `${what} was aborted.`, options);
    this.name = 'AbortedError';
  }

  /** True when `value` is an AbortedError from any copy of the package. */
  static override isInstance(value: unknown): value is AbortedError {
    return BotlensError.isInstance(value) && value.code === 'ABORTED';
  }

  /** Throws an AbortedError when `signal` is already aborted. */
  static throwIfAborted(signal: AbortSignal | undefined, what: string): void {
    if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
  }
}
