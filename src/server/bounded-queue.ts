import { QueueFullError } from '../errors/queue-full-error.js';

export { QueueFullError };

/**
 * Runs at most `maxConcurrent` tasks at once and lets at most `maxQueued` wait; past that it refuses at once,
 * so overload turns into fast 429s instead of unbounded memory. Written by hand because the maintained
 * limiters (p-limit, p-queue) queue without a bound or need polling to refuse; this is 40 lines.
 */
export class BoundedQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param maxConcurrent - tasks run at the same time
   * @param maxQueued - tasks allowed to wait for a slot
   */
  constructor(
    readonly maxConcurrent: number,
    readonly maxQueued: number,
  ) {}

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `task` when a slot is free; rejects with {@link QueueFullError} at once when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueued) throw new QueueFullError(this.maxQueued);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
