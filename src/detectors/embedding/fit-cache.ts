import { type CompactVector, toDense } from '../../ann/vector-math.js';
import { scatterAdd } from './scatter-add.js';

/** Dot products of the texts of one fit, read from {@link FitCache}'s matrix: pair i, j at `values[slots[i] * stride + slots[j]]`. @internal */
export interface GramView {
  values: Float64Array;
  stride: number;
  slots: Int32Array;
}

/** Most distinct texts the cache holds; its Gram matrix then takes at most 2048^2 doubles (32 MiB). */
export const FIT_CACHE_MAX_TEXTS = 2048;

/** One cached text: its embedding as the embedder gave it, and as the fit stores it (float16-rounded). */
export interface CachedEmbedding {
  /** The embedding, unrounded (what `detect()` compares). */
  raw: CompactVector;
  /** The float16-rounded embedding (what `fit()` stores). */
  rounded: CompactVector;
}

/**
 * What the embedding detector keeps between `fit()` calls so that refitting on overlapping data (the folds of
 * an ensemble's out-of-fold fitting, which refit one detector on 4/5 of the same examples five times) costs
 * only the new examples: each distinct text's embedding, and the dot products between them (the Gram matrix
 * that the out-of-fold kNN vote reads, n^2 sparse dot products that otherwise dominate the fit). Keyed by the
 * text, for one embedder id; at most {@link FIT_CACHE_MAX_TEXTS} texts (a larger fit is not cached, and a fit
 * that would overflow the cache starts it afresh). Freed by the detector's `dispose()`.
 *
 * @internal
 */
export class FitCache {
  private embedderId: string | undefined;
  private readonly slotOf = new Map<string, number>();
  private readonly entries: CachedEmbedding[] = [];
  private gram = new Float64Array(0);
  private cap = 0;

  /** Forgets everything. */
  clear(): void {
    this.embedderId = undefined;
    this.forgetTexts();
  }

  /** Forgets the texts and their dot products, keeping the embedder. */
  private forgetTexts(): void {
    this.slotOf.clear();
    this.entries.length = 0;
    this.gram = new Float64Array(0);
    this.cap = 0;
  }

  /**
   * The cached embedding of a text, if any (for `detect()`; nothing is added).
   *
   * @param embedderId - the embedder in use
   * @param text - the text
   */
  peek(embedderId: string, text: string): CachedEmbedding | undefined {
    if (embedderId !== this.embedderId) return undefined;
    const slot = this.slotOf.get(text);
    return slot === undefined ? undefined : this.entries[slot];
  }

  /**
   * Embeddings of `texts` (embedding only the ones not cached) and, when the texts fit in the cache, their
   * slots for {@link FitCache.gramFor}.
   *
   * @param embedderId - the embedder in use (a different one empties the cache)
   * @param texts - the texts
   * @param embed - embeds texts the cache does not hold
   */
  async lookup(
    embedderId: string,
    texts: readonly string[],
    embed: (texts: string[]) => Promise<CachedEmbedding[]>,
  ): Promise<{ entries: CachedEmbedding[]; slots: Int32Array | undefined }> {
    const distinct = [...new Set(texts)];
    if (embedderId !== this.embedderId) this.clear();
    this.embedderId = embedderId;
    if (distinct.length > FIT_CACHE_MAX_TEXTS) {
      this.forgetTexts();
      const got = await embed(distinct);
      const byText = new Map(distinct.map((t, i) => [t, got[i]!]));
      return { entries: texts.map((t) => byText.get(t)!), slots: undefined };
    }
    const missing = distinct.filter((t) => !this.slotOf.has(t));
    if (this.entries.length + missing.length > FIT_CACHE_MAX_TEXTS) {
      this.forgetTexts();
      return this.lookup(embedderId, texts, embed);
    }
    const got = missing.length > 0 ? await embed(missing) : [];
    missing.forEach((t, i) => {
      this.slotOf.set(t, this.entries.length);
      this.entries.push(got[i]!);
    });
    const slots = Int32Array.from(texts, (t) => this.slotOf.get(t)!);
    return { entries: Array.from(slots, (s) => this.entries[s]!), slots };
  }

  /**
   * The dot products of the rounded embeddings at `slots` (pair i, j of the n texts at
   * `values[slots[i] * stride + slots[j]]`), computing only the pairs not known yet. The view reads the cache's
   * own matrix, without copying it: read it before the next `lookup`, `gramFor` or `clear`.
   *
   * Only the pairs a fit reads are computed: those with at least one text among the first `neighbourSet` (the
   * kNN vote's labelled set) and each text with itself. A pair of two later texts (prefix cuts) is left unknown
   * (NaN) unless an earlier fit computed it; the reader computes the few it needs itself.
   *
   * @param slots - from {@link FitCache.lookup}
   * @param dim - vector length
   * @param neighbourSet - how many texts, from the start of `slots`, form the kNN vote's labelled set
   */
  gramFor(slots: Int32Array, dim: number, neighbourSet = slots.length): GramView {
    this.grow(this.entries.length);
    const { cap, gram } = this;
    const inSet = new Uint8Array(cap);
    for (let i = 0; i < Math.min(neighbourSet, slots.length); i++) inSet[slots[i]!] = 1;
    // Only pairs not known yet are dotted. Rows of the labelled set are taken in slot order (oldest first); one
    // with an unknown pair with an earlier such row is dotted with every earlier one that has one (its
    // partners) through a column index holding just those rows, so after a refit on 4/5 of the data only the
    // new pairs cost anything, and a refit whose pairs are all known builds no index. A cut with an unknown
    // pair is then dotted with all those partners at once; its own square is summed directly.
    const distinct = [...new Set(slots)].sort((a, b) => a - b);
    const m = distinct.length;
    const needs = new Uint8Array(m);
    const partner = new Uint8Array(m);
    const cutNeeds = new Uint8Array(m);
    for (let i = 0; i < m; i++) {
      const a = distinct[i]!;
      const row = a * cap;
      for (let j = 0; j <= i; j++) {
        const b = distinct[j]!;
        if (!Number.isNaN(gram[row + b]!)) continue;
        if (inSet[a] && inSet[b]) {
          needs[i] = 1;
          partner[i] = 1;
          partner[j] = 1;
        } else if (inSet[a] || inSet[b]) {
          cutNeeds[inSet[a] ? j : i] = 1;
          partner[inSet[a] ? i : j] = 1;
        } else if (i === j) gram[row + a] = selfDotOf(this.entries[a]!.rounded);
      }
    }
    const members: number[] = [];
    for (let i = 0; i < m; i++) if (partner[i]) members.push(i);
    if (members.length === 0) return { values: gram, stride: cap, slots };
    const index = new ColumnIndex(
      members.map((i) => this.entries[distinct[i]!]!.rounded),
      dim,
    );
    const acc = new Float64Array(members.length);
    members.forEach((i, at) => {
      index.insert(at);
      if (!needs[i]) return;
      index.dotAll(index.row(at), acc);
      const a = distinct[i]!;
      for (let k = 0; k <= at; k++) {
        const b = distinct[members[k]!]!;
        gram[a * cap + b] = acc[k]!;
        gram[b * cap + a] = acc[k]!;
        acc[k] = 0;
      }
    });
    for (let i = 0; i < m; i++) {
      if (!cutNeeds[i]) continue;
      const a = distinct[i]!;
      index.dotAll(sparseRow(this.entries[a]!.rounded), acc);
      members.forEach((j, k) => {
        const b = distinct[j]!;
        gram[a * cap + b] = acc[k]!;
        gram[b * cap + a] = acc[k]!;
        acc[k] = 0;
      });
    }
    return { values: gram, stride: cap, slots };
  }

  private grow(size: number): void {
    if (size <= this.cap) return;
    const cap = Math.min(FIT_CACHE_MAX_TEXTS, Math.max(size, this.cap * 2, 64));
    const next = new Float64Array(cap * cap).fill(Number.NaN);
    for (let a = 0; a < this.cap; a++)
      next.set(this.gram.subarray(a * this.cap, (a + 1) * this.cap), a * cap);
    this.gram = next;
    this.cap = cap;
  }
}

/**
 * Rows stored by column (an inverted index), filled row by row: `dotAll` takes one row's dot products with
 * every row inserted so far at the cost of the column entries its non-zeros meet, which for hashed text is a
 * fraction of the n * nnz a row-by-row comparison costs.
 */
class ColumnIndex {
  private readonly rows: SparseRow[];
  private readonly start: Int32Array;
  private readonly fill: Int32Array;
  /** Per entry, its row (16 bits: the cache holds at most FIT_CACHE_MAX_TEXTS rows). */
  private readonly rowOf: Uint16Array;
  /** Per entry, its value (cached embeddings are float32). */
  private readonly valueOf: Float32Array;

  constructor(vectors: readonly CompactVector[], dim: number) {
    if (vectors.length > 0xffff) throw new RangeError('ColumnIndex holds at most 65,535 rows');
    this.rows = vectors.map(sparseRow);
    const count = new Int32Array(dim + 1);
    for (const r of this.rows) for (let k = 0; k < r.indices.length; k++) count[r.indices[k]! + 1]!++;
    for (let j = 0; j < dim; j++) count[j + 1]! += count[j]!;
    this.start = count;
    this.fill = count.slice(0, dim);
    this.rowOf = new Uint16Array(count[dim]!);
    this.valueOf = new Float32Array(count[dim]!);
  }

  insert(i: number): void {
    const r = this.rows[i]!;
    for (let k = 0; k < r.indices.length; k++) {
      const p = this.fill[r.indices[k]!]!++;
      this.rowOf[p] = i;
      this.valueOf[p] = r.values[k]!;
    }
  }

  /** Row i, as stored. */
  row(i: number): SparseRow {
    return this.rows[i]!;
  }

  /** Adds the dot product of `r` with every inserted row into `acc` (indexed by row). */
  dotAll(r: SparseRow, acc: Float64Array): void {
    const { start, fill, rowOf, valueOf: vals } = this;
    for (let k = 0; k < r.indices.length; k++) {
      const c = r.indices[k]!;
      scatterAdd(acc, rowOf, vals, start[c]!, fill[c]!, r.values[k]!);
    }
  }
}

/** A vector's positions and values (a dense vector's every position). @internal */
export interface SparseRow {
  indices: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** A compact vector as a {@link SparseRow} (a dense vector lists every position). @internal */
export function sparseRow(v: CompactVector): SparseRow {
  return v instanceof Float32Array ? { indices: Int32Array.from(v.keys()), values: v } : v;
}

/** A vector's dot product with itself, summed in position order as {@link ColumnIndex.dotAll} sums it. */
function selfDotOf(v: CompactVector): number {
  const values = v instanceof Float32Array ? v : v.values;
  let s = 0;
  for (let k = 0; k < values.length; k++) s += values[k]! * values[k]!;
  return s;
}

/** A dense copy of a cached embedding, for the query side of `detect()`. */
export function denseOf(v: CompactVector, dim: number): Float32Array {
  return v instanceof Float32Array ? v : toDense(v, dim);
}
