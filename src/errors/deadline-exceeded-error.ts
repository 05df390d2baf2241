import { BotlensError } from './botlens-error.js';

/**
 * A request was not answered within its time limit, counted from its arrival (queue wait included); the work
 * was stopped and the HTTP service answers 503 with `Retry-After`.
 *
 * @example
 * ```ts
 * if (DeadlineExceededError.isInstance(err)) console.error(`gave up after ${err.timeoutMs} ms`);
 * ```
 */
export class DeadlineExceededError extends BotlensError {
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  /** @param timeoutMs - the limit that was exceeded */
  constructor(timeoutMs: number) {
    super(
      'TIMEOUT',
      `The request was not answered within ${timeoutMs} ms and was stopped: retry later or send a shorter transcript.`,
    );
    this.name = 'DeadlineExceededError';
    this.timeoutMs = timeoutMs;
  }

  /** True when `value` is a DeadlineExceededError from any copy of the package. */
  static override isInstance(value: unknown): value is DeadlineExceededError {
    return BotlensError.isInstance(value) && value.code === 'TIMEOUT';
  }
}
