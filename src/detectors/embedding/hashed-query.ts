import { TopK } from '../../ann/top-k.js';
import { dot } from '../../ann/vector-math.js';
import type { BucketChange } from '../../runtime/hashing-accumulator.js';
import type { HashingEmbedder } from '../../runtime/hashing-embedder.js';
import type { InvertedExactSearch } from './inverted-search.js';
import { type Features, type FittedModel, knnShare } from './model.js';

/** What a {@link HashedQuery} reads from the fitted model, built once per model and index. @internal */
interface Tables {
  m: FittedModel;
  n: number;
  start: Int32Array;
  rowOf: Int32Array;
  values: Float64Array;
  norms: Float64Array;
  dotCenter: Float64Array;
  cc: number;
  /** Per position, 4 entries: center, bot centroid, human centroid, probe weights (0 without a probe). */
  dense: Float64Array;
  /** center · (center, bot centroid, human centroid, probe weights). */
  centerDots: Float64Array;
}

const tablesOf = new WeakMap<InvertedExactSearch, Tables>();

function tablesFor(m: FittedModel, index: InvertedExactSearch): Tables {
  const known = tablesOf.get(index);
  if (known && known.m === m) return known;
  const dense = new Float64Array(m.dim * 4);
  const rows = [m.center, m.centroidBot, m.centroidHuman, m.probe?.weights];
  rows.forEach((x, i) => {
    if (x) for (let b = 0; b < m.dim; b++) dense[b * 4 + i] = x[b]!;
  });
  const centerDots = Float64Array.from(rows, (x) => (x ? dot(m.center, x) : 0));
  const t: Tables = { m, n: m.vectors.length, ...index.postings(), dense, centerDots };
  tablesOf.set(index, t);
  return t;
}

/**
 * The embedding detector's exact scorer for hashed text, computed from the embedder's two unnormalized blocks
 * (word n-grams W, character n-grams C) instead of the dense float32 embedding. The embedding is
 * `e = (α·W + β·C) / N` with `α = ww/|W|`, `β = cw/|C|` and N its norm, so every dot product `e · x` the
 * detector takes (with the center, the centroids, the probe and each labelled vector) is
 * `(α·(W·x) + β·(C·x)) / N`: the query keeps `W·x` and `C·x` for all of them, `|W|²`, `|C|²` and `W·C`, and
 * updates them from each changed bucket (`apply`, the {@link BucketChange} a `HashingAccumulator` reports), at
 * the cost of the labelled vectors using that bucket (an inverted index). `detect()` fills one from the whole
 * text in one pass; the stream applies each target message's changes as it arrives, so a push costs the
 * message's buckets, whatever the transcript's length so far. Both then compute the features with the same
 * formulas in double precision, so the stream's detection equals `detect()`'s up to the order of the sums
 * (about 1e-15 relative; the same neighbours, ties broken by lower id).
 *
 * @internal
 */
export class HashedQuery {
  private readonly t: Tables;
  private readonly ws: Float64Array;
  private readonly cs: Float64Array;
  private readonly wd = new Float64Array(4);
  private readonly cd = new Float64Array(4);
  private w2 = 0;
  private c2 = 0;
  private wc = 0;
  private readonly weights: readonly [number, number];

  /**
   * @param m - the fitted model
   * @param index - its exact inverted index (from `buildIndex`)
   * @param embedder - the hashing embedder the model was fitted with
   * @param k - how many neighbours vote
   */
  constructor(
    m: FittedModel,
    index: InvertedExactSearch,
    private readonly embedder: HashingEmbedder,
    private readonly k: number,
  ) {
    this.t = tablesFor(m, index);
    this.ws = new Float64Array(this.t.n);
    this.cs = new Float64Array(this.t.n);
    this.weights = embedder.blockWeights;
  }

  /** Adds a whole text in one pass (what `detect()` does; a stream feeds `apply` from its accumulator). */
  scan(text: string): void {
    this.embedder.scan(text, this.apply);
  }

  /** Applies one bucket's change (a {@link BucketChange}). */
  readonly apply: BucketChange = (block, bucket, before, after, other) => {
    const d = after - before;
    const { start, rowOf, values, dense } = this.t;
    const acc = block === 0 ? this.ws : this.cs;
    const vec = block === 0 ? this.wd : this.cd;
    if (block === 0) this.w2 += d * (after + before);
    else this.c2 += d * (after + before);
    this.wc += d * other;
    for (let p = start[bucket]!, end = start[bucket + 1]!; p < end; p++) acc[rowOf[p]!]! += d * values[p]!;
    const o = bucket * 4;
    vec[0]! += d * dense[o]!;
    vec[1]! += d * dense[o + 1]!;
    vec[2]! += d * dense[o + 2]!;
    vec[3]! += d * dense[o + 3]!;
  };

  /** The detector's features of the text so far, or null when it embeds to the center (nothing to compare). */
  features(): Features | null {
    const t = this.t;
    const m = t.m;
    const [ww, cw] = this.weights;
    // A block whose sums vanish drops out, as in HashingAccumulator (1e-20: a non-zero block has |W|² >= 0.2).
    const alpha = ww > 0 && this.w2 > 1e-20 ? ww / Math.sqrt(this.w2) : 0;
    const beta = cw > 0 && this.c2 > 1e-20 ? cw / Math.sqrt(this.c2) : 0;
    const n2 = alpha * alpha * this.w2 + beta * beta * this.c2 + 2 * alpha * beta * this.wc;
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    const a = alpha * inv;
    const b = beta * inv;
    const { wd, cd } = this;
    const { centerDots: cx, cc } = t;
    const qc = a * wd[0]! + b * cd[0]!;
    const s = (n2 > 0 ? 1 : 0) - 2 * qc + cc;
    if (!(s > 1e-24)) return null;
    const qn = Math.sqrt(s);
    const k = Math.min(this.k, t.n);
    const top = new TopK(Math.max(1, k));
    if (k > 0) {
      const { ws, cs } = this;
      const { norms, dotCenter } = t;
      for (let j = 0; j < t.n; j++) {
        const den = qn * norms[j]!;
        const sim = den <= 1e-12 ? 0 : (a * ws[j]! + b * cs[j]! - qc - dotCenter[j]! + cc) / den;
        top.offer(j, Math.min(1, Math.max(-1, sim)));
      }
    }
    const neighbours = k > 0 ? top.sorted() : [];
    return {
      cosBot: (a * wd[1]! + b * cd[1]! - cx[1]!) / qn,
      cosHuman: (a * wd[2]! + b * cd[2]! - cx[2]!) / qn,
      knnShare: knnShare(neighbours, m.labels),
      neighbours,
      probe: m.probe ? (a * wd[3]! + b * cd[3]! - cx[3]!) / qn + m.probe.intercept : null,
    };
  }
}
