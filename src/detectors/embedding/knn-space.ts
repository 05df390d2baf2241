import type { CompactVector, SparseVector } from '../../ann/vector-math.js';

/*
 * The space the kNN vote compares in: the embedding less its "stop" positions (hashed n-gram buckets that more
 * than a set share of the labelled vectors use, the common n-grams), while the centroids and the probe keep
 * every position. See `EmbeddingCentroidOptions.knnStopShare`.
 */

/**
 * The positions more than `share` of the labelled vectors use (sorted ascending): none when `share` is 1 or
 * more, or when any vector is dense (a dense embedding uses every position).
 *
 * @param vectors - the labelled vectors (the kNN vote's set)
 * @param dim - vector length
 * @param share - the share of the vectors above which a position is left out
 *
 * @internal
 */
export function stopPositions(vectors: readonly CompactVector[], dim: number, share: number): Int32Array {
  if (share >= 1 || vectors.length === 0 || vectors.some((v) => v instanceof Float32Array)) {
    return new Int32Array(0);
  }
  const count = new Int32Array(dim);
  for (const v of vectors as readonly SparseVector[]) {
    for (let k = 0; k < v.indices.length; k++) if (v.values[k] !== 0) count[v.indices[k]!]!++;
  }
  const limit = share * vectors.length;
  const out: number[] = [];
  for (let p = 0; p < dim; p++) if (count[p]! > limit) out.push(p);
  return Int32Array.from(out);
}

/** 1 at each of `stop`'s positions, 0 elsewhere. @internal */
export function stopMask(dim: number, stop: Int32Array): Uint8Array {
  const mask = new Uint8Array(dim);
  for (const p of stop) mask[p] = 1;
  return mask;
}

/** A copy of `e` with the stop positions set to 0 (`e` itself when there are none). @internal */
export function withoutStops(e: Float32Array, stop: Int32Array): Float32Array {
  if (stop.length === 0) return e;
  const out = Float32Array.from(e);
  for (const p of stop) out[p] = 0;
  return out;
}

/** What the kNN index stores for a model: its labelled vectors and center without the stop positions. */
export interface KnnSpace {
  vectors: CompactVector[];
  center: Float32Array;
}

/** What {@link knnSpace} reads of a fitted model (a `FittedModel` is one). @internal */
export interface KnnSource {
  readonly dim: number;
  readonly vectors: CompactVector[];
  readonly center: Float32Array;
  /** The stop positions fixed by fit(), sorted ascending. */
  readonly knnStop: Int32Array;
}

const spaceOf = new WeakMap<KnnSource, KnnSpace>();

/**
 * The labelled vectors and the center as the kNN vote compares them (the model's own when it has no stop
 * positions; cached per model).
 *
 * @internal
 */
export function knnSpace(m: KnnSource): KnnSpace {
  if (m.knnStop.length === 0) return { vectors: m.vectors, center: m.center };
  const known = spaceOf.get(m);
  if (known) return known;
  const mask = stopMask(m.dim, m.knnStop);
  const vectors = m.vectors.map((v) => {
    if (v instanceof Float32Array) return withoutStops(v, m.knnStop);
    const keep: number[] = [];
    for (let k = 0; k < v.indices.length; k++) if (mask[v.indices[k]!] === 0) keep.push(k);
    const kept: SparseVector = {
      indices: Int32Array.from(keep, (k) => v.indices[k]!),
      values: Float32Array.from(keep, (k) => v.values[k]!),
    };
    return kept;
  });
  const space = { vectors, center: withoutStops(m.center, m.knnStop) };
  spaceOf.set(m, space);
  return space;
}
