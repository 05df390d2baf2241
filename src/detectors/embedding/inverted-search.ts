import { TopK } from '../../ann/top-k.js';
import {
  checkFinite,
  type Neighbor,
  type VectorIndex,
  type VectorSearchOptions,
} from '../../ann/vector-index.js';
import { assertDims, type CompactVector, dot, type SparseVector, sparseDot } from '../../ann/vector-math.js';

/** What {@link InvertedExactSearch.postings} returns. @internal */
export interface Postings {
  start: Int32Array;
  /** Per entry, its stored vector (16 bits while there are at most 65,536 of them). */
  rowOf: Uint16Array | Int32Array;
  /** Per entry, its value (stored vectors are float32). */
  values: Float32Array;
  norms: Float64Array;
  dotCenter: Float64Array;
  cc: number;
}

/**
 * Exact cosine search over sparse vectors through an inverted index (per position, the stored vectors that use
 * it): a query costs the stored entries at its own non-zero positions instead of every stored vector's
 * non-zeros, a few times less work on hashed text. Gives the similarities `ExactSearch` gives (centered cosine,
 * 0 for a zero vector, clamped to [-1, 1]; sums taken in another order, so equal up to rounding), and the same
 * neighbours (ties: lower id first). The embedding detector uses it when every labelled vector is sparse.
 *
 * @internal
 */
export class InvertedExactSearch implements VectorIndex {
  readonly dim: number;
  readonly method = 'exact' as const;
  private readonly center: Float32Array;
  private readonly cc: number;
  private readonly stored: SparseVector[] = [];
  private readonly norms: number[] = [];
  private readonly dotCenter: number[] = [];
  private start: Int32Array | undefined;
  private rowOf: Uint16Array | Int32Array = new Uint16Array(0);
  private valueOf = new Float32Array(0);

  /**
   * @param dim - vector length
   * @param center - subtracted from stored vectors and queries before the cosine
   */
  constructor(dim: number, center: Float32Array) {
    assertDims('center', center.length, dim);
    this.dim = dim;
    this.center = center;
    this.cc = dot(center, center);
  }

  get size(): number {
    return this.stored.length;
  }

  /** Stores sparse vectors (ids follow insertion order). */
  add(vectors: readonly CompactVector[]): void {
    for (const v of vectors) {
      if (v instanceof Float32Array) throw new TypeError('InvertedExactSearch stores sparse vectors only');
      const last = v.indices[v.indices.length - 1];
      if (last !== undefined && last >= this.dim)
        assertDims('vector (highest position + 1)', last + 1, this.dim);
      const vv = dot(v.values, v.values);
      const vc = sparseDot(v, this.center);
      this.stored.push(v);
      this.dotCenter.push(vc);
      this.norms.push(Math.sqrt(Math.max(0, vv - 2 * vc + this.cc)));
    }
    this.start = undefined;
  }

  private build(): Int32Array {
    const count = new Int32Array(this.dim + 1);
    for (const v of this.stored) for (let k = 0; k < v.indices.length; k++) count[v.indices[k]! + 1]!++;
    for (let j = 0; j < this.dim; j++) count[j + 1]! += count[j]!;
    const fill = count.slice(0, this.dim);
    // Half the bytes of 32-bit ids and 64-bit values where that loses nothing (values are float32): the fill
    // scatters every entry, and a HashedQuery's pushes read them scattered too.
    const total = count[this.dim]!;
    const rowOf = this.stored.length <= 0x10000 ? new Uint16Array(total) : new Int32Array(total);
    const values = new Float32Array(total);
    this.stored.forEach((v, id) => {
      for (let k = 0; k < v.indices.length; k++) {
        const p = fill[v.indices[k]!]!++;
        rowOf[p] = id;
        values[p] = v.values[k]!;
      }
    });
    this.rowOf = rowOf;
    this.valueOf = values;
    this.start = count;
    return count;
  }

  /**
   * The inverted index and the per-vector constants the search uses, for a caller that keeps a query's dot
   * products with every stored vector up to date itself ({@link HashedQuery}): per position `c`, the stored
   * vectors using it are `rowOf[start[c]..start[c+1])` with values `values[...]` (ids ascending); `norms[j]`
   * is `|v_j - center|`, `dotCenter[j]` is `v_j · center`, `cc` is `center · center`.
   *
   * @internal
   */
  postings(): Postings {
    const start = this.start ?? this.build();
    return {
      start,
      rowOf: this.rowOf,
      values: this.valueOf,
      norms: Float64Array.from(this.norms),
      dotCenter: Float64Array.from(this.dotCenter),
      cc: this.cc,
    };
  }

  search(query: Float32Array, k: number, options: VectorSearchOptions = {}): Neighbor[] {
    assertDims('query', query.length, this.dim);
    checkFinite('query', query);
    const start = this.start ?? this.build();
    const { rowOf, valueOf: vals, cc } = this;
    const n = this.stored.length;
    const qv = new Float64Array(n);
    for (let c = 0; c < query.length; c++) {
      const x = query[c]!;
      if (x === 0) continue;
      for (let p = start[c]!, end = start[c + 1]!; p < end; p++) qv[rowOf[p]!]! += x * vals[p]!;
    }
    const qq = dot(query, query);
    const qc = dot(query, this.center);
    const qn = Math.sqrt(Math.max(0, qq - 2 * qc + cc));
    const top = new TopK(k);
    const { exclude } = options;
    for (let j = 0; j < n; j++) {
      if (exclude?.(j)) continue;
      const den = qn * this.norms[j]!;
      const s = den <= 1e-12 ? 0 : (qv[j]! - qc - this.dotCenter[j]! + cc) / den;
      top.offer(j, Math.min(1, Math.max(-1, s)));
    }
    return top.sorted();
  }

  dispose(): void {
    this.stored.length = 0;
    this.norms.length = 0;
    this.dotCenter.length = 0;
    this.start = undefined;
  }
}
