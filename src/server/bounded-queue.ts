import { QueueFullError } from '../errors/queue-full-error.js';

/**
 * Slots for at most `maxConcurrent` tasks at once, with at most `maxQueued` waiting; past that it refuses at
 * once, so overload turns into fast 429s instead of unbounded memory. A waiting task that gives up (deadline,
 * client gone) leaves the queue at once ({@link BoundedQueue.cancel}). Written by hand because the maintained
 * limiters (p-limit, p-queue) queue without a bound or need polling to refuse; and callbacks rather than
 * promises and abort listeners: it sits on every request's path, where each promise and listener costs.
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

  /** Tasks holding a slot now. */
  get running(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Takes a slot: `true` when one was free (the caller holds it now); `false` when `wake` was queued, to be
   * called once a slot is handed to it. Every slot taken or handed over is given back with
   * {@link BoundedQueue.release}.
   *
   * @throws QueueFullError when no slot is free and `maxQueued` tasks already wait
   */
  acquire(wake: () => void): boolean {
    if (this.active < this.maxConcurrent) {
      this.active++;
      return true;
    }
    if (this.waiting.length >= this.maxQueued) {
      throw new QueueFullError(`${this.maxQueued} requests already waiting`);
    }
    this.waiting.push(wake);
    return false;
  }

  /** Takes a queued `wake` out of the queue (its task gave up); `true` when it was still waiting. */
  cancel(wake: () => void): boolean {
    const i = this.waiting.indexOf(wake);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  /** Gives a slot back: it goes to the longest-waiting task, or becomes free. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
