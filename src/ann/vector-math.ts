import { BotlensError } from '../errors/botlens-error.js';

/**
 * Throws a `DIMENSION_MISMATCH` {@link BotlensError} unless `actual === expected`.
 *
 * @param what - the vector, named for the message (e.g. `query`)
 * @param actual - its length
 * @param expected - the length required
 *
 * @example
 * ```ts
 * assertDims('query', q.length, index.dim);
 * ```
 */
export function assertDims(what: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new BotlensError(
      'DIMENSION_MISMATCH',
      `${what} has ${actual} dimensions but ${expected} are expected: use vectors from the same embedder (and settings) throughout.`,
    );
  }
}

/**
 * Dot product of two equally long vectors (4-way unrolled; the caller checks the lengths).
 *
 * @param a - first vector
 * @param b - second vector
 *
 * @example
 * ```ts
 * dot(new Float32Array([1, 2]), new Float32Array([3, 4])); // 11
 * ```
 */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[i]!;
  return s0 + s1 + s2 + s3;
}

/**
 * A vector stored as its non-zero entries: hashed text vectors are mostly zeros, so dot products against them
 * cost their number of non-zeros rather than their dimension.
 */
export interface SparseVector {
  /** Positions of the non-zero entries, ascending. */
  indices: Int32Array;
  /** The entries at those positions. */
  values: Float32Array;
}

/**
 * The non-zero entries of a dense vector.
 *
 * @param a - the dense vector
 *
 * @example
 * ```ts
 * toSparse(new Float32Array([0, 2, 0])); // { indices: [1], values: [2] }
 * ```
 */
export function toSparse(a: Float32Array): SparseVector {
  let nnz = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) nnz++;
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  for (let i = 0, k = 0; i < a.length; i++) {
    if (a[i] !== 0) {
      indices[k] = i;
      values[k++] = a[i]!;
    }
  }
  return { indices, values };
}

/**
 * Dot product of a sparse vector with a dense one.
 *
 * @param s - the sparse vector
 * @param dense - the dense vector
 *
 * @example
 * ```ts
 * sparseDot(toSparse(a), b) === dot(a, b); // up to rounding
 * ```
 */
export function sparseDot(s: SparseVector, dense: ArrayLike<number>): number {
  const { indices, values } = s;
  let acc = 0;
  for (let k = 0; k < indices.length; k++) acc += values[k]! * dense[indices[k]!]!;
  return acc;
}

/** Fraction of non-zero entries below which vectors are kept sparse (see {@link compactVector}). */
export const SPARSE_DENSITY = 0.35;

/** A vector kept dense (`Float32Array`) or sparse ({@link SparseVector}), whichever is smaller. */
export type CompactVector = Float32Array | SparseVector;

/**
 * Keeps a vector sparse when fewer than {@link SPARSE_DENSITY} of its entries are non-zero, else dense.
 *
 * @param v - the dense vector (not copied when kept dense)
 *
 * @example
 * ```ts
 * compactVector(new Float32Array(1000)); // sparse, no entries
 * ```
 */
export function compactVector(v: Float32Array): CompactVector {
  let nnz = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) nnz++;
  return nnz < SPARSE_DENSITY * v.length ? toSparse(v) : v;
}

/**
 * A dense copy of a {@link CompactVector}.
 *
 * @param a - the vector
 * @param dim - its dimension
 * @throws BotlensError `DIMENSION_MISMATCH` when a dense vector has another length or a sparse one has a
 *   position beyond `dim`
 *
 * @example
 * ```ts
 * toDense(toSparse(v), v.length); // equal to v
 * ```
 */
export function toDense(a: CompactVector, dim: number): Float32Array {
  if (a instanceof Float32Array) {
    assertDims('vector', a.length, dim);
    return Float32Array.from(a);
  }
  const out = new Float32Array(dim);
  const { indices, values } = a;
  for (let k = 0; k < indices.length; k++) {
    const j = indices[k]!;
    if (j < 0 || j >= dim) assertDims('sparse vector (highest position + 1)', j + 1, dim);
    out[j] = values[k]!;
  }
  return out;
}

/**
 * Dot product of a {@link CompactVector} with a dense vector of the same dimension.
 *
 * @param a - dense or sparse vector
 * @param dense - dense vector
 *
 * @example
 * ```ts
 * compactDot(compactVector(a), b) === dot(a, b); // up to rounding
 * ```
 */
export function compactDot(a: CompactVector, dense: ArrayLike<number>): number {
  return a instanceof Float32Array ? dot(a, dense) : sparseDot(a, dense);
}

/**
 * Adds `factor * a` into `acc`.
 *
 * @param acc - the accumulator (dense)
 * @param a - dense or sparse vector of the same dimension
 * @param factor - the scale
 *
 * @example
 * ```ts
 * addScaled(sum, compactVector(v), 0.5);
 * ```
 */
export function addScaled(acc: Float64Array, a: CompactVector, factor: number): void {
  if (a instanceof Float32Array) {
    for (let i = 0; i < a.length; i++) acc[i]! += factor * a[i]!;
  } else {
    const { indices, values } = a;
    for (let k = 0; k < indices.length; k++) acc[indices[k]!]! += factor * values[k]!;
  }
}

/**
 * The Gram matrix `G[i * n + j] = rows[i] . rows[j]` (symmetric; each pair computed once, in double
 * precision). Sparse rows cost their non-zeros per product.
 *
 * @param rows - n vectors of dimension `dim`, dense or sparse
 * @param dim - their dimension
 * @param shouldStop - polled once per row; return true to stop early (the caller then throws)
 *
 * @example
 * ```ts
 * const G = gramMatrix([a, b], a.length); // Float64Array of 4
 * ```
 */
export function gramMatrix(
  rows: readonly CompactVector[],
  dim: number,
  shouldStop?: () => boolean,
): Float64Array {
  const n = rows.length;
  const G = new Float64Array(n * n);
  const scratch = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    if (shouldStop?.()) break;
    const a = rows[i]!;
    scratch.fill(0);
    addScaled(scratch, a, 1);
    for (let j = 0; j <= i; j++) {
      const v = compactDot(rows[j]!, scratch);
      G[i * n + j] = v;
      G[j * n + i] = v;
    }
  }
  return G;
}

/**
 * Coordinates of a set of vectors in an orthonormal basis of their span, computed from their Gram matrix by
 * an incremental Cholesky (Gram-Schmidt without touching the vectors). Vectors (nearly) in the span of the
 * earlier ones add no basis direction, so duplicates and zero vectors are handled.
 *
 * With `coords[i]` the coordinates of vector i, `coords[i] . coords[j] = G[i][j]` up to rounding, so any
 * rotation-invariant method (gradient-descent logistic regression with an L2 penalty, nearest neighbours)
 * gives the same answer on the coordinates, at `rank` instead of the original dimension per vector.
 */
export interface SpanBasis {
  /** Number of basis directions (the numerical rank). */
  rank: number;
  /** Indices (into the input vectors) of the vectors that define each basis direction, in order. */
  pivots: number[];
  /** Row-major `rank x rank` lower-triangular matrix: the pivots' own coordinates. */
  pivotCoords: Float64Array;
  /** Coordinates of every input vector, each of length `rank`. */
  coords: Float64Array[];
}

/**
 * Builds a {@link SpanBasis} from a Gram matrix.
 *
 * @param G - row-major n x n Gram matrix (from {@link gramMatrix})
 * @param n - number of vectors
 * @param relTol - a vector adds a direction only when its squared distance to the current span exceeds
 *   `relTol` times its squared norm
 *
 * @example
 * ```ts
 * const basis = spanBasis(gramMatrix(vectors), vectors.length);
 * basis.rank <= vectors.length; // true
 * ```
 */
export function spanBasis(G: Float64Array, n: number, relTol = 1e-6): SpanBasis {
  const pivots: number[] = [];
  // L rows of the pivots, each stored at full capacity n so it can grow as the rank grows.
  const pivotRows: Float64Array[] = [];
  const coords: Float64Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = pivots.length;
    const c = new Float64Array(r + 1);
    // Forward substitution: c_k = (G[i, p_k] - sum_{m<k} c_m L[k, m]) / L[k, k].
    for (let k = 0; k < r; k++) {
      const Lk = pivotRows[k]!;
      let s = G[i * n + pivots[k]!]!;
      for (let m = 0; m < k; m++) s -= c[m]! * Lk[m]!;
      c[k] = s / Lk[k]!;
    }
    let resid = G[i * n + i]!;
    for (let k = 0; k < r; k++) resid -= c[k]! * c[k]!;
    if (resid > relTol * G[i * n + i]! && resid > 0) {
      c[r] = Math.sqrt(resid);
      pivots.push(i);
      pivotRows.push(c);
      coords[i] = c;
    } else {
      coords[i] = c.subarray(0, r);
    }
  }
  const rank = pivots.length;
  const pivotCoords = new Float64Array(rank * rank);
  for (let k = 0; k < rank; k++) pivotCoords.set(pivotRows[k]!.subarray(0, k + 1), k * rank);
  // Pad every coordinate vector to the final rank (later directions are orthogonal to earlier vectors).
  for (let i = 0; i < n; i++) {
    const c = coords[i]!;
    if (c.length !== rank) {
      const full = new Float64Array(rank);
      full.set(c.subarray(0, Math.min(c.length, rank)));
      coords[i] = full;
    }
  }
  return { rank, pivots, pivotCoords, coords };
}

/**
 * Expresses weights over a {@link SpanBasis} as a combination of the pivot vectors: returns `a` with
 * `sum_k a[k] * x[pivots[k]] . x = beta . coords(x)` for every x in the span. Build the weight vector in the
 * original space from it (a linear model fitted on coordinates becomes one dot product per query).
 *
 * @param basis - the basis
 * @param beta - weights over the basis directions (length `basis.rank`)
 *
 * @example
 * ```ts
 * const a = pivotCoefficients(basis, model.weights);
 * const w = new Float64Array(dim);
 * basis.pivots.forEach((p, k) => addScaled(w, vectors[p], a[k]));
 * ```
 */
export function pivotCoefficients(basis: SpanBasis, beta: ArrayLike<number>): Float64Array {
  const r = basis.rank;
  const L = basis.pivotCoords;
  // Solve L^T a = beta by back substitution (L lower-triangular).
  const a = new Float64Array(r);
  for (let k = r - 1; k >= 0; k--) {
    let s = beta[k] ?? 0;
    for (let m = k + 1; m < r; m++) s -= L[m * r + k]! * a[m]!;
    a[k] = s / L[k * r + k]!;
  }
  return a;
}
