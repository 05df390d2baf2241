import { QueueFullError } from '../errors/queue-full-error.js';

/** A task waiting for a slot: woken with the slot it now holds. */
export interface QueueWaiter {
  wake(): void;
}

/**
 * Slots for at most `maxConcurrent` tasks at once, with at most `maxQueued` waiting; past that it refuses at
 * once, so overload turns into fast 429s instead of unbounded memory. A waiting task that gives up (deadline,
 * client gone) leaves the queue at once ({@link BoundedQueue.cancel}). Written by hand because the maintained
 * limiters (p-limit, p-queue) queue without a bound or need polling to refuse; and callbacks rather than
 * promises, abort listeners or closures: it sits on every request's path, where each of those costs.
 */
export class BoundedQueue {
  private active = 0;
  private readonly waiting: QueueWaiter[] = [];
  /** Called once no task holds a slot (see {@link BoundedQueue.whenIdle}). */
  private idleWaiters: Array<() => void> = [];

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
   * Takes a slot: `true` when one was free (the caller holds it now); `false` when `waiter` was queued, to be
   * woken once a slot is handed to it. Every slot taken or handed over is given back with
   * {@link BoundedQueue.release}.
   *
   * @throws QueueFullError when no slot is free and `maxQueued` tasks already wait
   */
  acquire(waiter: QueueWaiter): boolean {
    if (this.active < this.maxConcurrent) {
      this.active++;
      return true;
    }
    if (this.waiting.length >= this.maxQueued) {
      throw new QueueFullError(`${this.maxQueued} requests already waiting`);
    }
    this.waiting.push(waiter);
    return false;
  }

  /** Takes a queued `waiter` out of the queue (its task gave up); `true` when it was still waiting. */
  cancel(waiter: QueueWaiter): boolean {
    const i = this.waiting.indexOf(waiter);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  /**
   * Resolves once no task holds a slot (so none waits either: a slot given back goes to a waiting task first).
   * Every task given a slot keeps it until it settles and calls {@link BoundedQueue.release}.
   */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Gives a slot back: it goes to the longest-waiting task, or becomes free. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next.wake();
    else if (--this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
