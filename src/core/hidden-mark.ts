/**
 * A hidden fact about objects (a WeakSet): marking adds no field, so a marked object reads, serializes and
 * validates as before, a copy is unmarked, and the mark goes with the object when it is collected.
 *
 * @internal
 */
export class HiddenMark {
  readonly #marked = new WeakSet<object>();

  /**
   * Marks an object.
   *
   * @param o - the object
   * @returns the same object
   */
  mark<T extends object>(o: T): T {
    this.#marked.add(o);
    return o;
  }

  /**
   * Whether {@link HiddenMark.mark} marked this object.
   *
   * @param o - any object
   */
  has(o: object): boolean {
    return this.#marked.has(o);
  }
}
