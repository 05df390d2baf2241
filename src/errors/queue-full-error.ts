import { BotlensError } from './botlens-error.js';

/**
 * The service refused a request because every detection slot and every queue place is taken (HTTP 429).
 * Retry later, or raise `maxConcurrent` / `maxQueued` in the server settings.
 */
export class QueueFullError extends BotlensError {
  /** @param maxQueued - the queue bound that was hit */
  constructor(maxQueued: number) {
    super('QUEUE_FULL', `The server is at capacity (${maxQueued} requests already waiting): retry later.`);
    this.name = 'QueueFullError';
  }

  /** True when `value` is a QueueFullError from any copy of the package. */
  static override isInstance(value: unknown): value is QueueFullError {
    return BotlensError.isInstance(value) && value.code === 'QUEUE_FULL';
  }
}
