import { dot } from '../../ann/vector-math.js';
import type { InvertedExactSearch, Postings } from './inverted-search.js';
import { stopMask } from './knn-space.js';
import type { FittedModel } from './model.js';

/** Most entries of the dense hot columns (4 MiB of float32), whatever the size of the labelled set. */
const MAX_HOT_ENTRIES = 1 << 20;
/** Most hot buckets. */
const MAX_HOT = 512;

/**
 * What a {@link HashedQuery} reads from the fitted model, built once per model and index.
 *
 * Buckets used by at least half of the labelled vectors (the common n-grams, which nearly every message
 * touches) are "hot": they are kept as dense columns (`hotCols[h * n + j]`), so their changes can be collected
 * and applied eight columns a pass.
 *
 * @internal
 */
export interface HashedTables extends Postings {
  m: FittedModel;
  /** Labelled vectors. */
  n: number;
  /** Per position, 4 entries: center, bot centroid, human centroid, probe weights (0 without a probe). */
  dense: Float64Array;
  /** center · (center, bot centroid, human centroid, probe weights). */
  centerDots: Float64Array;
  /** Per position, its hot column, or -1. */
  hotOf: Int32Array;
  /** Hot columns, column-major (`n` entries each). */
  hotCols: Float32Array;
  /** Number of hot columns. */
  hot: number;
  /**
   * 1 at the positions the kNN vote leaves out (`FittedModel.knnStop`), undefined when it leaves none out. The
   * postings, norms, `dotCenter` and `cc` are the index's, so they already leave them out (`cc` is that of the
   * center without them; `centerDots[0]` is the whole center's).
   */
  stop: Uint8Array | undefined;
}

const tablesOf = new WeakMap<InvertedExactSearch, HashedTables>();

/**
 * The hot columns again, row-major (`rows[j * hot + h]`), and per labelled vector `j` the norm of its hot
 * part over its centered norm (`|x_j restricted to the hot columns| / norms[j]`, 0 when `norms[j]` is 0): what
 * a query that defers hot changes reads to bound, and then settle, one vector's deferred part. @internal
 */
export interface HotRows {
  rows: Float32Array;
  reach: Float64Array;
}

const hotRowsOf = new WeakMap<HashedTables, HotRows>();

/** The {@link HotRows} of some tables (built on first use, cached per tables). @internal */
export function hotRows(t: HashedTables): HotRows {
  const known = hotRowsOf.get(t);
  if (known) return known;
  const { n, hot, hotCols, norms } = t;
  const rows = new Float32Array(n * hot);
  const reach = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let h = 0; h < hot; h++) {
      const x = hotCols[h * n + j]!;
      rows[j * hot + h] = x;
      s += x * x;
    }
    reach[j] = norms[j]! > 0 ? Math.sqrt(s) / norms[j]! : 0;
  }
  const r = { rows, reach };
  hotRowsOf.set(t, r);
  return r;
}

/** The tables for a model and its exact index (cached per index). @internal */
export function hashedTables(m: FittedModel, index: InvertedExactSearch): HashedTables {
  const known = tablesOf.get(index);
  if (known && known.m === m) return known;
  const n = m.vectors.length;
  const dense = new Float64Array(m.dim * 4);
  const rows = [m.center, m.centroidBot, m.centroidHuman, m.probe?.weights];
  rows.forEach((x, i) => {
    if (x) for (let b = 0; b < m.dim; b++) dense[b * 4 + i] = x[b]!;
  });
  const centerDots = Float64Array.from(rows, (x) => (x ? dot(m.center, x) : 0));
  const post = index.postings();
  const { start, rowOf, values } = post;
  const limit = Math.min(MAX_HOT, Math.floor(MAX_HOT_ENTRIES / Math.max(1, n)));
  const candidates: number[] = [];
  for (let b = 0; b < m.dim; b++) if (start[b + 1]! - start[b]! >= Math.max(8, n / 2)) candidates.push(b);
  candidates.sort((x, y) => start[y + 1]! - start[y]! - (start[x + 1]! - start[x]!) || x - y);
  const hotList = candidates.slice(0, limit).sort((x, y) => x - y);
  const hotOf = new Int32Array(m.dim).fill(-1);
  const hotCols = new Float32Array(hotList.length * n);
  hotList.forEach((b, h) => {
    hotOf[b] = h;
    for (let p = start[b]!; p < start[b + 1]!; p++) {
      const j = rowOf[p]!;
      hotCols[h * n + j] = values[p]!;
    }
  });
  const t: HashedTables = {
    m,
    n,
    ...post,
    dense,
    centerDots,
    hotOf,
    hotCols,
    hot: hotList.length,
    stop: m.knnStop.length > 0 ? stopMask(m.dim, m.knnStop) : undefined,
  };
  tablesOf.set(index, t);
  return t;
}
