import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { assertDims, type CompactVector } from './vector-math.js';

/** One search hit: the id given to the vector when it was added, and its cosine similarity to the query. */
export interface Neighbor {
  /** Id of the stored vector (its position in insertion order, from 0). */
  id: number;
  /** Cosine similarity to the query in [-1, 1] (0 when either vector is zero). */
  similarity: number;
}

/** Options for {@link VectorIndex.search}. */
export interface VectorSearchOptions {
  /**
   * Leaves out stored vectors for which this returns true (e.g. the query's own entry). The index still returns
   * up to `k` hits among the others.
   * @defaultValue none excluded
   */
  exclude?: (id: number) => boolean;
}

/**
 * A cosine-similarity index over fixed-length vectors. {@link ExactSearch} (brute force) and {@link HnswIndex}
 * (approximate, hnswlib) implement it, so callers switch between them by size.
 *
 * Both measure cosine similarity after subtracting an optional `center` vector from stored vectors and
 * queries alike (centering removes the direction every embedding shares, which otherwise dominates cosine).
 *
 * @example
 * ```ts
 * const index: VectorIndex = new ExactSearch({ dim: 3 });
 * index.add([new Float32Array([1, 0, 0]), new Float32Array([0, 1, 0])]);
 * index.search(new Float32Array([1, 0.1, 0]), 1); // [{ id: 0, similarity: 0.995... }]
 * ```
 */
export interface VectorIndex {
  /** Vector length. */
  readonly dim: number;
  /** Number of vectors stored. */
  readonly size: number;
  /** `exact` or `hnsw`: how {@link VectorIndex.search} finds neighbours. */
  readonly method: 'exact' | 'hnsw';
  /**
   * Stores vectors; they get the ids `size`, `size + 1`, ... in order.
   *
   * @param vectors - vectors of length {@link VectorIndex.dim}, dense or sparse
   */
  add(vectors: readonly CompactVector[]): void;
  /**
   * The `k` stored vectors most similar to `query`, most similar first (ties: lower id first). Returns fewer
   * than `k` when fewer are stored (or left after `exclude`).
   *
   * @param query - a vector of length {@link VectorIndex.dim}
   * @param k - how many neighbours, a positive integer
   * @param options - see {@link VectorSearchOptions}
   */
  search(query: Float32Array, k: number, options?: VectorSearchOptions): Neighbor[];
  /** Frees native memory (HNSW). The index must not be used afterwards. */
  dispose(): void;
}

/**
 * Checks a `k` argument: a positive integer.
 *
 * @param k - the value given
 * @throws InvalidOptionsError otherwise
 *
 * @example
 * ```ts
 * checkK(10); // ok
 * ```
 */
export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1)
    throw new InvalidOptionsError('k', `expected a positive integer, got ${describeValue(k)}`);
}

/**
 * Checks that a vector holds only finite numbers.
 *
 * @param what - the vector, named for the message
 * @param v - the vector
 * @throws InvalidOptionsError naming the first bad position
 *
 * @example
 * ```ts
 * checkFinite('query', q);
 * ```
 */
export function checkFinite(what: string, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) {
      throw new InvalidOptionsError(what, `entry ${i} is ${String(v[i])}: vectors must hold finite numbers`);
    }
  }
}

/**
 * Checks a vector given to an index: a dense one has length `dim`, a sparse one no position at or beyond `dim`,
 * and every entry is finite.
 *
 * @param what - the vector, named for the message (e.g. `query`)
 * @param v - the vector, dense or sparse
 * @param dim - the index's dimension
 * @throws BotlensError `DIMENSION_MISMATCH` for a vector of another length
 * @throws InvalidOptionsError for NaN or infinite entries
 *
 * @example
 * ```ts
 * checkVector('query', q, index.dim);
 * ```
 */
export function checkVector(what: string, v: CompactVector, dim: number): void {
  if (v instanceof Float32Array) assertDims(what, v.length, dim);
  else {
    const last = v.indices[v.indices.length - 1];
    if (last !== undefined && last >= dim) assertDims(`${what} (highest position + 1)`, last + 1, dim);
  }
  checkFinite(what, v instanceof Float32Array ? v : v.values);
}
