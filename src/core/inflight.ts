/**
 * Work that is still running, kept so that a `dispose()` can wait for it to settle before it frees what the work
 * runs on (a model, an ensemble's members).
 *
 * @internal
 */
export class Inflight {
  readonly #work = new Set<Promise<unknown>>();

  /**
   * Keeps `work` until it settles, and returns it.
   *
   * @param work - the promise of the work
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.#work.add(work);
    const done = () => this.#work.delete(work);
    work.then(done, done);
    return work;
  }

  /** Resolves once every work tracked so far has settled (whether it resolved or rejected). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#work]);
  }
}
