/**
 * Work that is still running, kept so that a `dispose()` can wait for it to settle before it frees what the work
 * runs on (a model, an ensemble's members).
 *
 * @internal
 */
export class Inflight {
  /** Each running work, with what it is (for a message naming the work still running). */
  readonly #work = new Map<Promise<unknown>, string>();

  /**
   * Keeps `work` until it settles, and returns it.
   *
   * @param work - the promise of the work
   * @param label - what the work is, as {@link Inflight.settledWithin} reports it
   */
  track<T>(work: Promise<T>, label = 'work'): Promise<T> {
    this.#work.set(work, label);
    const done = () => this.#work.delete(work);
    work.then(done, done);
    return work;
  }

  /** Resolves once every work tracked so far has settled (whether it resolved or rejected). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#work.keys()]);
  }

  /**
   * Resolves once every work tracked so far has settled, or once `timeoutMs` has passed, whichever comes first.
   *
   * @param timeoutMs - how long to wait (`Infinity`: until it has settled)
   * @returns the labels of the work (tracked before the call) still running when the wait ended, in the order it
   *   was tracked; empty when it all settled in time
   */
  async settledWithin(timeoutMs: number): Promise<string[]> {
    const pending = [...this.#work];
    if (pending.length === 0) return [];
    const all = Promise.allSettled(pending.map(([w]) => w));
    if (timeoutMs === Number.POSITIVE_INFINITY) {
      await all;
      return [];
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      // Unref'd: a call that never returns must not keep the process alive for the bound.
      timer = setTimeout(resolve, timeoutMs);
      timer.unref?.();
    });
    try {
      await Promise.race([all, late]);
    } finally {
      clearTimeout(timer);
    }
    return pending.flatMap(([w, label]) => (this.#work.has(w) ? [label] : []));
  }
}
