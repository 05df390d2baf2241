import { BotlensError } from './botlens-error.js';

/**
 * The HTTP service is at capacity (every slot and queue place taken, or too many request bytes in flight) and
 * refused a request at once; the service answers 429 with `Retry-After`.
 *
 * @example
 * ```ts
 * if (QueueFullError.isInstance(err)) setTimeout(retry, 1000);
 * ```
 */
export class QueueFullError extends BotlensError {
  /**
   * @param what - the bound that was hit, in words, e.g. `"64 requests already waiting"`
   */
  constructor(what: string) {
    super('QUEUE_FULL', `The server is at capacity (${what}): retry later.`);
    this.name = 'QueueFullError';
  }

  /** True when `value` is a QueueFullError from any copy of the package. */
  static override isInstance(value: unknown): value is QueueFullError {
    return BotlensError.isInstance(value) && value.code === 'QUEUE_FULL';
  }
}
