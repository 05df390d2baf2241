import { TopK } from '../../ann/top-k.js';
import type { Neighbor } from '../../ann/vector-index.js';
import type { BucketChange } from '../../runtime/hashing-accumulator.js';
import type { HashingEmbedder } from '../../runtime/hashing-embedder.js';
import { gatheredDot, rowDot } from './deferred-dot.js';
import { type HashedTables, type HotRows, hashedTables, hotRows } from './hashed-tables.js';
import type { InvertedExactSearch } from './inverted-search.js';
import { type Features, type FittedModel, knnShare } from './model.js';
import { scatterAdd } from './scatter-add.js';

/** Positions in {@link HashedQuery}'s scalar sums. */
const W2 = 0;
const C2 = 1;
const WC = 2;
const WD = 3;
const CD = 7;
/**
 * Where the sums of changes at stop positions start (`FittedModel.knnStop`): a change adds to the first eleven
 * sums, or to the eleven from here when its position is a stop position, so the kNN vote reads the first bank
 * alone (the embedding without the stop positions) and everything else both banks, at no extra addition per
 * change.
 */
const STOP_BANK = 11;

/** Added to every bound before it rules a labelled vector out (far above the sums' rounding, about 1e-15). */
const SLACK = 1e-9;
/**
 * A deferring query applies its pending hot columns once the hot rows it has read to settle candidates since
 * they were last applied (this read's included) would pass this fraction of the entries applying them reads
 * (on ConvAI: 0.5 applies them about every ten pushes; 0.25 and 1 were slower).
 */
const SETTLE_AT = 0.5;

/**
 * The embedding detector's exact scorer for hashed text, computed from the embedder's two unnormalized blocks
 * (word n-grams W, character n-grams C) instead of the dense float32 embedding. The embedding is
 * `e = (α·W + β·C) / N` with `α = ww/|W|`, `β = cw/|C|` and N its norm, so every dot product `e · x` the
 * detector takes (with the center, the centroids, the probe and each labelled vector) is
 * `(α·(W·x) + β·(C·x)) / N`: the query keeps `W·x` and `C·x` for all of them, `|W|²`, `|C|²` and `W·C`, and
 * updates them from each changed bucket (`apply`, the {@link BucketChange} a `HashingAccumulator` reports), at
 * the cost of the labelled vectors using that bucket (an inverted index).
 *
 * Changes to hot buckets (common n-grams, used by at least half of the labelled vectors) are collected and
 * applied when the features are read, eight dense columns a pass (about twice as fast per entry as walking
 * postings). So a push costs the labelled vectors using the message's buckets plus one pass over the labelled
 * set, whatever the transcript's length so far. A stream's query (`deferHot`) goes further: it keeps the hot
 * changes pending across pushes, bounds what they can move each labelled vector's similarity (per vector, by
 * the norm of its hot entries), and settles exactly only the vectors that can still be neighbours; the pending
 * columns are applied once settling has cost about half of applying them (see `nearestDeferred`). Hot buckets
 * are common n-grams whose counts are already high, so their pending changes stay small and the bounds tight:
 * on ConvAI the columns are applied about every tenth push instead of at every push. Settling sums a vector's
 * deferred part in four running sums (`deferred-dot.ts`). Tried and not kept, with figures:
 * docs/design/hashed-query.md.
 *
 * `detect()` fills a query from the whole text in one pass; the stream applies each target message's changes
 * as it arrives. Both compute the features with the same formulas in double precision, so the stream's
 * detection equals `detect()`'s up to the order of the sums (about 1e-15 relative; the same neighbours, ties
 * broken by lower id).
 *
 * @internal
 */
export class HashedQuery {
  private readonly t: HashedTables;
  private readonly ws: Float64Array;
  private readonly cs: Float64Array;
  /**
   * The scalar sums, each with its Neumaier compensation (they are moved by many small changes over a long
   * transcript: compensated, they stay within an ulp or two of the one-pass sums): |W|², |C|², W·C, then W and
   * C dotted with the center, the bot and human centroids and the probe weights.
   */
  private readonly sums = new Float64Array(2 * STOP_BANK);
  private readonly comp = new Float64Array(2 * STOP_BANK);
  /** 1 at the stop positions the kNN vote leaves out; undefined when there are none. */
  private readonly stop: Uint8Array | undefined;
  private readonly weights: readonly [number, number];
  private readonly start: Int32Array;
  private readonly rowOf: Uint16Array | Int32Array;
  private readonly values: Float32Array;
  private readonly dense: Float64Array;
  private readonly hotOf: Int32Array;
  /** Deferred change per hot column, per block; the columns with one, per block. */
  private readonly pendW: Float64Array;
  private readonly pendC: Float64Array;
  private readonly listW: number[] = [];
  private readonly listC: number[] = [];
  /** 1 where a hot column is listed: bit 0 in listW, bit 1 in listC. */
  private readonly listed: Uint8Array;
  /**
   * Deferring queries: the hot rows; at a read, the hot columns with pending changes (the first `active` of
   * `cols`, counted by `nearestDeferred`) and per hot column its pending change as the numerators see it (0
   * where none).
   */
  private readonly hotRows: HotRows | undefined;
  private readonly cols: Int32Array;
  private readonly g: Float64Array;
  /** Deferring queries: the ids of the last read's neighbours (the next read settles them first). */
  private last: number[] = [];
  /**
   * Deferring queries: per labelled vector, the read that last settled it first (`reads`), so the pass over
   * the others skips it without a sorted list of ids.
   */
  private readonly settledAt: Int32Array;
  private reads = 0;
  /** Work spent settling candidates since the hot columns were last applied (entries read). */
  private paid = 0;

  /**
   * @param m - the fitted model
   * @param index - its exact inverted index (from `buildIndex`)
   * @param embedder - the hashing embedder the model was fitted with
   * @param k - how many neighbours vote
   * @param deferHot - keep hot changes pending across reads while a bound proves they cannot change the
   *   neighbours (a stream: see {@link HashedQuery.features}); otherwise every read applies them
   */
  constructor(
    m: FittedModel,
    index: InvertedExactSearch,
    private readonly embedder: HashingEmbedder,
    private readonly k: number,
    private readonly deferHot = false,
  ) {
    const t = hashedTables(m, index);
    this.t = t;
    this.start = t.start;
    this.rowOf = t.rowOf;
    this.values = t.values;
    this.dense = t.dense;
    this.hotOf = t.hotOf;
    this.stop = t.stop;
    this.ws = new Float64Array(this.t.n);
    this.cs = new Float64Array(this.t.n);
    this.pendW = new Float64Array(this.t.hot);
    this.pendC = new Float64Array(this.t.hot);
    this.listed = new Uint8Array(this.t.hot);
    this.weights = embedder.blockWeights;
    this.hotRows = deferHot ? hotRows(t) : undefined;
    this.g = new Float64Array(deferHot ? t.hot : 0);
    this.cols = new Int32Array(deferHot ? t.hot : 0);
    this.settledAt = new Int32Array(deferHot ? t.n : 0);
  }

  /** Hot columns with changes not yet applied to the labelled vectors' sums (a deferring query's). @internal */
  get pendingHot(): number {
    return this.listW.length + this.listC.length;
  }

  /** Adds a whole text in one pass (what `detect()` does; a stream feeds `apply` from its accumulator). */
  scan(text: string): void {
    this.embedder.scan(text, this.apply);
  }

  /** Applies one bucket's change (a {@link BucketChange}). */
  readonly apply: BucketChange = (block, bucket, before, after, other) => {
    if (block === 0) this.change(this.ws, WD, this.pendW, this.listW, 1, bucket, before, after, other);
    else this.change(this.cs, CD, this.pendC, this.listC, 2, bucket, before, after, other);
  };

  private change(
    acc: Float64Array,
    vec: number,
    pend: Float64Array,
    list: number[],
    bit: number,
    bucket: number,
    before: number,
    after: number,
    other: number,
  ): void {
    const d = after - before;
    // A stop position's change moves the whole embedding's sums only (its own bank) and has no postings: the
    // index stores the vectors without the stop positions.
    const stop = this.stop !== undefined && this.stop[bucket] === 1;
    const bank = stop ? STOP_BANK : 0;
    this.add(bank + (bit === 1 ? W2 : C2), d * (after + before));
    this.add(bank + WC, d * other);
    const o = bucket * 4;
    const dense = this.dense;
    const v = bank + vec;
    this.add(v, d * dense[o]!);
    this.add(v + 1, d * dense[o + 1]!);
    this.add(v + 2, d * dense[o + 2]!);
    this.add(v + 3, d * dense[o + 3]!);
    if (stop) return;
    const h = this.hotOf[bucket]!;
    if (h >= 0) {
      if ((this.listed[h]! & bit) === 0) {
        this.listed[h]! |= bit;
        list.push(h);
      }
      pend[h]! += d;
      return;
    }
    // The bucket's postings, eight entries a step (about 1.9 times as fast as one a step on ConvAI, for
    // detect() and the stream alike; the same sums, see scatterAdd).
    const start = this.start;
    scatterAdd(acc, this.rowOf, this.values, start[bucket]!, start[bucket + 1]!, d);
  }

  /** Adds `x` to sum `i` (Neumaier's compensated summation). */
  private add(i: number, x: number): void {
    const s = this.sums[i]!;
    const t = s + x;
    this.comp[i]! += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    this.sums[i] = t;
  }

  /** Sum `i` over every position (both banks), compensated. */
  private sum(i: number): number {
    const s = this.sums[i]! + this.comp[i]!;
    return this.stop === undefined ? s : s + (this.sums[STOP_BANK + i]! + this.comp[STOP_BANK + i]!);
  }

  /** Sum `i` without the stop positions (the first bank), compensated. */
  private kept(i: number): number {
    return this.sums[i]! + this.comp[i]!;
  }

  /** The detector's features of the text so far, or null when it embeds to the center (nothing to compare). */
  features(): Features | null {
    const t = this.t;
    const m = t.m;
    if (!this.deferHot) this.flushAll();
    const [ww, cw] = this.weights;
    // A block whose sums vanish drops out, as in HashingAccumulator (1e-20: a non-zero block has |W|² >= 0.2).
    const w2 = this.sum(W2);
    const c2 = this.sum(C2);
    const alpha = ww > 0 && w2 > 1e-20 ? ww / Math.sqrt(w2) : 0;
    const beta = cw > 0 && c2 > 1e-20 ? cw / Math.sqrt(c2) : 0;
    const n2 = alpha * alpha * w2 + beta * beta * c2 + 2 * alpha * beta * this.sum(WC);
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    const a = alpha * inv;
    const b = beta * inv;
    const cx = t.centerDots;
    const qc = this.dotE(0, a, b);
    const s = (n2 > 0 ? 1 : 0) - 2 * qc + cx[0]!;
    if (!(s > 1e-24)) return null;
    const qn = Math.sqrt(s);
    const k = Math.min(this.k, t.n);
    let neighbours: Neighbor[] = [];
    if (k > 0 && this.stop === undefined) neighbours = this.select(k, a, b, qc, qn);
    else if (k > 0) {
      // The kNN vote compares the embedding less its stop positions with the labelled vectors less theirs.
      const kc = a * this.kept(WD) + b * this.kept(CD);
      const e2 = a * a * this.kept(W2) + b * b * this.kept(C2) + 2 * a * b * this.kept(WC);
      neighbours = this.select(k, a, b, kc, Math.sqrt(Math.max(0, e2 - 2 * kc + t.cc)));
    }
    return {
      cosBot: (this.dotE(1, a, b) - cx[1]!) / qn,
      cosHuman: (this.dotE(2, a, b) - cx[2]!) / qn,
      knnShare: knnShare(neighbours, m.labels),
      neighbours,
      probe: m.probe ? (this.dotE(3, a, b) - cx[3]!) / qn + m.probe.intercept : null,
    };
  }

  /**
   * The embedding's dot product with dense row `i` (0 center, 1 bot centroid, 2 human centroid, 3 probe), the
   * blocks weighted by `a` and `b` (a method, not a closure made at every read).
   */
  private dotE(i: number, a: number, b: number): number {
    return a * this.sum(WD + i) + b * this.sum(CD + i);
  }

  /** Applies both blocks' deferred hot columns. */
  private flushAll(): void {
    this.paid = 0;
    this.flush(this.ws, this.pendW, this.listW, 1);
    this.flush(this.cs, this.pendC, this.listC, 2);
  }

  /** The neighbours: under deferred hot changes when a bound allows, else after applying them. */
  private select(k: number, a: number, b: number, qc: number, qn: number): Neighbor[] {
    // Only a deferring query has hot changes pending here: features() applied them for the others.
    if (this.pendingHot > 0) {
      const found = this.nearestDeferred(k, a, b, qc, qn);
      if (found) return found;
      this.flushAll();
    }
    return this.keep(this.nearest(k, a, b, qc, qn));
  }

  /**
   * The `k` nearest labelled vectors while hot changes are pending, or undefined when settling them is cheaper.
   *
   * With the pending hot changes `pW`, `pC`, vector `j`'s numerator lacks `g · H_j` (`g = a·pW + b·pC`, `H_j`
   * its hot entries), so its similarity lies within `|g| · |H_j| / (qn · |x_j - center|)` of the one read from
   * the applied sums (Cauchy-Schwarz; clamping only narrows the gap). The last read's neighbours are settled
   * first (their hot rows against `g`): the k-th similarity is at least their least, the bar. Every other
   * vector whose upper bound reaches the bar (less SLACK) is settled too, the bar rising as better ones turn
   * up; the rest cannot be neighbours. Settled similarities are the exact ones (the same sums in another order,
   * about 1e-15 apart), so the neighbours are those `nearest` picks after applying the pending columns.
   * Undefined, before any vector past the budget is settled, when settling costs more than applying.
   */
  private nearestDeferred(k: number, a: number, b: number, qc: number, qn: number): Neighbor[] | undefined {
    const { n, norms, dotCenter, cc, hot } = this.t;
    const { reach } = this.hotRows!;
    const { ws, cs, pendW, pendC, g, cols } = this;
    // g over the hot columns with pending changes (`cols`; the others add nothing).
    let gg = 0;
    let active = 0;
    for (let h = 0; h < hot; h++) {
      if (this.listed[h] === 0) {
        g[h] = 0;
        continue;
      }
      const x = a * pendW[h]! + b * pendC[h]!;
      g[h] = x;
      cols[active++] = h;
      gg += x * x;
    }
    const r = Math.sqrt(gg) / qn;
    const shift = cc - qc;
    // The last read's neighbours (else the first k vectors), settled, set the bar: the k-th similarity is at
    // least their least. Numerators are compared against bar × denominator (no division per vector).
    const top = new TopK(k);
    const read = ++this.reads;
    const { settledAt, last } = this;
    const fromLast = last.length === k;
    for (let i = 0; i < k; i++) {
      const j = fromLast ? last[i]! : i;
      settledAt[j] = read;
      this.settle(top, j, a, b, shift, qn, active);
    }
    // Then every other vector whose bound reaches the bar is settled too, the bar rising as better ones are found.
    const budget = (SETTLE_AT * this.pendingHot * n - this.paid) / Math.max(1, hot);
    let settled = k;
    let bar = top.floor - SLACK;
    for (let j = 0; j < n; j++) {
      // The bound first (most vectors fail it), then whether this read settled the vector already.
      const den = qn * norms[j]!;
      if (den <= 1e-12) {
        if (0 < bar) continue;
      } else if (a * ws[j]! + b * cs[j]! + shift - dotCenter[j]! + r * reach[j]! * den < bar * den) continue;
      if (settledAt[j] === read) continue;
      if (++settled > budget) return undefined;
      this.settle(top, j, a, b, shift, qn, active);
      bar = top.floor - SLACK;
    }
    this.paid += settled * hot;
    return this.keep(top.sorted());
  }

  /** Notes the neighbours' ids (a deferring query starts its next read from them). */
  private keep(neighbours: Neighbor[]): Neighbor[] {
    if (this.deferHot) this.last = neighbours.map((x) => x.id);
    return neighbours;
  }

  /**
   * Offers vector `j` to `top` with its exact similarity (its applied sums plus its deferred hot part, over the
   * first `active` of `cols`).
   */
  private settle(
    top: TopK,
    j: number,
    a: number,
    b: number,
    shift: number,
    qn: number,
    active: number,
  ): void {
    const { norms, dotCenter, hot } = this.t;
    const { rows } = this.hotRows!;
    const { g, cols } = this;
    const den = qn * norms[j]!;
    let sim = 0;
    if (den > 1e-12) {
      const d =
        active * 2 >= hot ? rowDot(g, rows, j * hot, hot) : gatheredDot(g, rows, j * hot, cols, active);
      sim = clamp((a * this.ws[j]! + b * this.cs[j]! + d + shift - dotCenter[j]!) / den);
    }
    if (sim >= top.floor) top.offer(j, sim);
  }

  /** The `k` most similar labelled vectors (centered cosine, clamped to [-1, 1]; ties: lower id first). */
  private nearest(k: number, a: number, b: number, qc: number, qn: number): Neighbor[] {
    const { n, norms, dotCenter, cc } = this.t;
    const { ws, cs } = this;
    const top = new TopK(k);
    // A vector whose numerator is below (floor - SLACK) × its denominator cannot reach the floor: skipped
    // without its division.
    let bar = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      const den = qn * norms[j]!;
      const x = a * ws[j]! + b * cs[j]! - qc - dotCenter[j]! + cc;
      if (den > 1e-12 && x < bar * den) continue;
      const sim = den <= 1e-12 ? 0 : clamp(x / den);
      if (sim >= top.floor) {
        top.offer(j, sim);
        bar = top.floor - SLACK;
      }
    }
    return top.sorted();
  }

  /**
   * Applies a block's deferred hot columns to every labelled vector's dot product, eight columns a pass (the
   * sums are read and written once per eight columns: pushes about 5% faster than four a pass on ConvAI), then
   * four, then one.
   */
  private flush(acc: Float64Array, pend: Float64Array, list: number[], bit: number): void {
    const { n, hotCols: col } = this.t;
    let i = 0;
    for (; i + 8 <= list.length; i += 8) {
      const h0 = list[i]!;
      const h1 = list[i + 1]!;
      const h2 = list[i + 2]!;
      const h3 = list[i + 3]!;
      const h4 = list[i + 4]!;
      const h5 = list[i + 5]!;
      const h6 = list[i + 6]!;
      const h7 = list[i + 7]!;
      const d0 = pend[h0]!;
      const d1 = pend[h1]!;
      const d2 = pend[h2]!;
      const d3 = pend[h3]!;
      const d4 = pend[h4]!;
      const d5 = pend[h5]!;
      const d6 = pend[h6]!;
      const d7 = pend[h7]!;
      const o0 = h0 * n;
      const o1 = h1 * n;
      const o2 = h2 * n;
      const o3 = h3 * n;
      const o4 = h4 * n;
      const o5 = h5 * n;
      const o6 = h6 * n;
      const o7 = h7 * n;
      for (let j = 0; j < n; j++)
        acc[j]! +=
          d0 * col[o0 + j]! +
          d1 * col[o1 + j]! +
          d2 * col[o2 + j]! +
          d3 * col[o3 + j]! +
          (d4 * col[o4 + j]! + d5 * col[o5 + j]! + d6 * col[o6 + j]! + d7 * col[o7 + j]!);
    }
    for (; i + 4 <= list.length; i += 4) {
      const h0 = list[i]!;
      const h1 = list[i + 1]!;
      const h2 = list[i + 2]!;
      const h3 = list[i + 3]!;
      const d0 = pend[h0]!;
      const d1 = pend[h1]!;
      const d2 = pend[h2]!;
      const d3 = pend[h3]!;
      const o0 = h0 * n;
      const o1 = h1 * n;
      const o2 = h2 * n;
      const o3 = h3 * n;
      for (let j = 0; j < n; j++)
        acc[j]! += d0 * col[o0 + j]! + d1 * col[o1 + j]! + d2 * col[o2 + j]! + d3 * col[o3 + j]!;
    }
    for (; i < list.length; i++) {
      const h = list[i]!;
      const d = pend[h]!;
      const o = h * n;
      for (let j = 0; j < n; j++) acc[j]! += d * col[o + j]!;
    }
    for (const h of list) {
      pend[h] = 0;
      this.listed[h]! &= ~bit;
    }
    list.length = 0;
  }
}

function clamp(x: number): number {
  return Math.min(1, Math.max(-1, x));
}
