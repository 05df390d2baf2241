import type { Neighbor } from './vector-index.js';

/**
 * Keeps the `k` best {@link Neighbor}s seen so far (a bounded min-heap: O(log k) per offer), so a scan over n
 * candidates costs O(n log k) rather than a full sort. Ids and similarities are kept in two arrays of numbers,
 * so an offer allocates nothing (a stream's neighbour search offers dozens of candidates at every message);
 * only `sorted()` makes {@link Neighbor} objects, for the `k` kept. (Plain arrays rather than typed ones: a
 * stream makes a TopK at every message, and allocating two small typed arrays cost more than the offers.)
 *
 * @example
 * ```ts
 * const top = new TopK(2);
 * top.offer(0, 0.1); top.offer(1, 0.9); top.offer(2, 0.5);
 * top.sorted(); // [{ id: 1, similarity: 0.9 }, { id: 2, similarity: 0.5 }]
 * ```
 */
export class TopK {
  private readonly ids: number[] = [];
  private readonly sims: number[] = [];
  private size = 0;

  /** @param k - how many to keep (a positive integer) */
  constructor(private readonly k: number) {}

  /** True when entry `a` ranks below entry `b`: lower similarity, or equal similarity and higher id. */
  private worse(a: number, b: number): boolean {
    const sa = this.sims[a]!;
    const sb = this.sims[b]!;
    return sa < sb || (sa === sb && this.ids[a]! > this.ids[b]!);
  }

  private swap(a: number, b: number): void {
    const { ids, sims } = this;
    const id = ids[a]!;
    const sim = sims[a]!;
    ids[a] = ids[b]!;
    sims[a] = sims[b]!;
    ids[b] = id;
    sims[b] = sim;
  }

  /**
   * Considers one candidate.
   *
   * @param id - its id
   * @param similarity - its score (higher is better)
   */
  offer(id: number, similarity: number): void {
    const { ids, sims } = this;
    if (this.size < this.k) {
      let i = this.size++;
      ids.push(id);
      sims.push(similarity);
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.worse(i, p)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    // k = 0 keeps nothing.
    if (this.size === 0) return;
    const rootSim = sims[0]!;
    if (similarity < rootSim || (similarity === rootSim && id > ids[0]!)) return;
    ids[0] = id;
    sims[0] = similarity;
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.worse(l, m)) m = l;
      if (r < n && this.worse(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  /**
   * The similarity a candidate must reach to be kept: the k-th best so far once `k` are kept, else -Infinity
   * (+Infinity when `k` is 0).
   * A scan can skip `offer` below it (an equal similarity may still win on a lower id).
   */
  get floor(): number {
    if (this.k === 0) return Number.POSITIVE_INFINITY; // keeps nothing: no candidate can pass
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.sims[0]!;
  }

  /** The kept candidates, best first (ties: lower id first). */
  sorted(): Neighbor[] {
    const out: Neighbor[] = [];
    for (let i = 0; i < this.size; i++) out.push({ id: this.ids[i]!, similarity: this.sims[i]! });
    return out.sort((a, b) => b.similarity - a.similarity || a.id - b.id);
  }
}
