/**
 * Word-set overlap (Jaccard) between messages, in time linear in the number of words: each distinct word gets
 * a small integer, and an inverted index (word -> messages holding it) counts the shared words of a new message
 * with each recent one at once, instead of comparing the new message with every recent message in turn.
 */
export class WordOverlap {
  private readonly ids = new Map<string, number>();
  /** Word id -> ascending numbers of the history messages holding it. */
  private readonly postings: number[][] = [];
  /** Word id -> the last stamp it was marked with (for de-duplication and overlap counts). */
  private readonly mark: number[] = [];
  /** History message number -> its number of distinct words. */
  private readonly sizes: number[] = [];
  private readonly shared: number[] = [];
  private stamp = 0;

  /** @param window - how many of the latest history messages {@link WordOverlap.addAndCompare} looks at */
  constructor(private readonly window: number) {}

  /** The distinct word ids of `ws` (lower-cased words), in first-seen order. */
  distinct(ws: readonly string[]): number[] {
    const stamp = ++this.stamp;
    const out: number[] = [];
    for (const w of ws) {
      let id = this.ids.get(w);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(w, id);
        this.postings.push([]);
        this.mark.push(0);
      }
      if (this.mark[id] === stamp) continue;
      this.mark[id] = stamp;
      out.push(id);
    }
    return out;
  }

  /**
   * Adds a non-empty word set to the history and returns its highest Jaccard similarity with the previous
   * `window` history messages, or `null` when the history was empty.
   */
  addAndCompare(set: readonly number[]): number | null {
    const m = this.sizes.length;
    let best: number | null = null;
    if (m > 0) {
      const lo = Math.max(0, m - this.window);
      const shared = this.shared;
      shared.length = m - lo;
      shared.fill(0);
      for (const id of set) {
        const p = this.postings[id]!;
        for (let k = p.length - 1; k >= 0 && p[k]! >= lo; k--) shared[p[k]! - lo]!++;
      }
      best = 0;
      for (let k = 0; k < shared.length; k++) {
        const x = shared[k]!;
        if (x === 0) continue;
        const j = x / (set.length + this.sizes[lo + k]! - x);
        if (j > best) best = j;
      }
    }
    for (const id of set) this.postings[id]!.push(m);
    this.sizes.push(set.length);
    return best;
  }

  /** Jaccard similarity of two distinct-id sets (from {@link WordOverlap.distinct}); 0 when both are empty. */
  jaccard(a: readonly number[], b: readonly number[]): number {
    if (a.length === 0 && b.length === 0) return 0;
    const stamp = ++this.stamp;
    for (const id of b) this.mark[id] = stamp;
    let inter = 0;
    for (const id of a) if (this.mark[id] === stamp) inter++;
    return inter / (a.length + b.length - inter);
  }
}
