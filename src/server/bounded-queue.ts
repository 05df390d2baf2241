import { QueueFullError } from '../errors/queue-full-error.js';

/**
 * Runs at most `maxConcurrent` tasks at once and lets at most `maxQueued` wait; past that it refuses at once,
 * so overload turns into fast 429s instead of unbounded memory. A waiting task whose signal aborts (deadline,
 * client gone) leaves the queue at once. Written by hand because the maintained limiters (p-limit, p-queue)
 * queue without a bound or need polling to refuse; this is 50 lines.
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

  /**
   * Runs `task` when a slot is free; rejects with {@link QueueFullError} at once when the queue is full, and with
   * the signal's reason when `signal` aborts while waiting.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.active >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueued) {
        throw new QueueFullError(`${this.maxQueued} requests already waiting`);
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal?.reason);
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
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
