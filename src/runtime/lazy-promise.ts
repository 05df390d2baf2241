/**
 * One shared promise made on first use: concurrent callers get the same promise, a rejected one is forgotten
 * (so the next call tries again), and {@link LazyPromise.reset} hands the current one back and forgets it.
 * The lazy-load pattern of model-backed classes (a model, prepared adapters, embedded examples).
 *
 * @example
 * ```ts
 * const model = new LazyPromise<Handle>();
 * const h = await model.get(() => loadModel()); // loads once
 * await (await model.reset())?.release();
 * ```
 *
 * @internal
 */
export class LazyPromise<T> {
  private pending: Promise<T> | undefined;

  /**
   * The held promise, or a new one from `make` when none is held (a failed one is not held).
   *
   * @param make - starts the work; called only when no promise is held
   */
  get(make: () => Promise<T>): Promise<T> {
    if (!this.pending) {
      const p = make();
      this.pending = p;
      p.catch(() => {
        if (this.pending === p) this.pending = undefined;
      });
    }
    return this.pending;
  }

  /** Forgets the held promise, so the next {@link LazyPromise.get} starts again, and returns it. */
  reset(): Promise<T> | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }
}
