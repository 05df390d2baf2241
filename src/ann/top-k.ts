import type { Neighbor } from './vector-index.js';

/** True when `a` ranks below `b`: lower similarity, or equal similarity and higher id. */
function worse(a: Neighbor, b: Neighbor): boolean {
  return a.similarity < b.similarity || (a.similarity === b.similarity && a.id > b.id);
}

/**
 * Keeps the `k` best {@link Neighbor}s seen so far (a bounded min-heap: O(log k) per offer), so a scan over n
 * candidates costs O(n log k) rather than a full sort.
 *
 * @example
 * ```ts
 * const top = new TopK(2);
 * top.offer(0, 0.1); top.offer(1, 0.9); top.offer(2, 0.5);
 * top.sorted(); // [{ id: 1, similarity: 0.9 }, { id: 2, similarity: 0.5 }]
 * ```
 */
export class TopK {
  private readonly heap: Neighbor[] = [];

  /** @param k - how many to keep (a positive integer) */
  constructor(private readonly k: number) {}

  /**
   * Considers one candidate.
   *
   * @param id - its id
   * @param similarity - its score (higher is better)
   */
  offer(id: number, similarity: number): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push({ id, similarity });
      let i = h.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(h[i]!, h[p]!)) break;
        [h[i], h[p]] = [h[p]!, h[i]!];
        i = p;
      }
      return;
    }
    const root = h[0]!;
    if (similarity < root.similarity || (similarity === root.similarity && id > root.id)) return;
    h[0] = { id, similarity };
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && worse(h[l]!, h[m]!)) m = l;
      if (r < h.length && worse(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }

  /**
   * The similarity a candidate must reach to be kept: the k-th best so far once `k` are kept, else -Infinity.
   * A scan can skip `offer` below it (an equal similarity may still win on a lower id).
   */
  get floor(): number {
    return this.heap.length < this.k ? Number.NEGATIVE_INFINITY : this.heap[0]!.similarity;
  }

  /** The kept candidates, best first (ties: lower id first). */
  sorted(): Neighbor[] {
    return [...this.heap].sort((a, b) => b.similarity - a.similarity || a.id - b.id);
  }
}
