/** The typed arrays the heuristic's hand-written tables keep their entries in. */
type Growable = Int32Array | Float64Array | Uint16Array;

/**
 * A copy of `a` with room for at least `size` entries: twice as long, or `size` when that is more (doubling
 * keeps appending amortized O(1)). The caller checks that it needs the room, so the hot path costs one
 * comparison and no call.
 *
 * @param a - the full array
 * @param size - entries needed
 */
export function grown<T extends Growable>(a: T, size: number): T {
  const b = new (a.constructor as new (length: number) => T)(Math.max(2 * a.length, size));
  b.set(a);
  return b;
}
