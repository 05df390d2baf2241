import { describe, expect, it } from 'vitest';
import { type CsrRows, csrFromRows, SparseDesign } from '../../src/numeric/design-matrix.js';
import { seededRandom } from '../../src/numeric/random.js';

/** Random sparse rows (positions ascending), some empty, values of both signs. */
function randomRows(n: number, cols: number, seed: number): { indices: Int32Array; values: Float32Array }[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, r) => {
    const picked: number[] = [];
    if (r % 9 !== 4) for (let j = 0; j < cols; j++) if (rand() < 0.15) picked.push(j);
    return {
      indices: Int32Array.from(picked),
      values: Float32Array.from(picked, () => rand() * 2 - 1),
    };
  });
}

/** The row-by-row products as the design defines them: scatter each (centered, scaled) row in row order. */
function reference(csr: CsrRows, rowIds: Int32Array, center: Float32Array, rowScale: Float64Array) {
  const cols = csr.cols;
  return {
    timesTransposed(u: Float64Array): Float64Array {
      const out = new Float64Array(cols);
      let total = 0;
      rowIds.forEach((i, r) => {
        const f = u[r]! * rowScale[i]!;
        if (f === 0) return;
        total += f;
        for (let k = csr.indptr[i]!; k < csr.indptr[i + 1]!; k++) out[csr.indices[k]!]! += f * csr.values[k]!;
      });
      for (let j = 0; j < cols; j++) out[j]! -= total * center[j]!;
      return out;
    },
    weightedSquares(d: Float64Array): Float64Array {
      const out = new Float64Array(cols);
      const cross = new Float64Array(cols);
      let total = 0;
      rowIds.forEach((i, r) => {
        const f = d[r]! * rowScale[i]! * rowScale[i]!;
        total += f;
        for (let k = csr.indptr[i]!; k < csr.indptr[i + 1]!; k++) {
          const x = csr.values[k]!;
          out[csr.indices[k]!]! += f * x * x;
          cross[csr.indices[k]!]! += f * x;
        }
      });
      for (let j = 0; j < cols; j++) out[j]! += center[j]! * (center[j]! * total - 2 * cross[j]!);
      return out;
    },
  };
}

describe('SparseDesign', () => {
  const cols = 64;
  const csr = csrFromRows(randomRows(120, cols, 7), cols);
  const rand = seededRandom(11);
  // A fold's rows, out of order, as the embedding probe's designs use them.
  const rowIds = Int32Array.from({ length: 90 }, (_, r) => (r * 37 + 5) % 120);
  const center = Float32Array.from({ length: cols }, () => rand() * 0.1);
  const rowScale = Float64Array.from({ length: 120 }, () => 0.5 + rand());
  const X = new SparseDesign(csr, { rowIds, center, rowScale });
  const ref = reference(csr, rowIds, center, rowScale);

  it('takes X^T u column by column bit for bit as scattering the rows in order does', () => {
    for (let t = 0; t < 3; t++) {
      const u = Float64Array.from({ length: rowIds.length }, (_, r) => (r % 4 === t ? 0 : rand() * 2 - 1));
      const out = new Float64Array(cols).fill(Number.NaN);
      X.timesTransposed(u, out);
      expect(Array.from(out)).toEqual(Array.from(ref.timesTransposed(u)));
    }
  });

  it('takes the weighted squares (the preconditioner) bit for bit as the row-by-row sums', () => {
    const d = Float64Array.from({ length: rowIds.length }, () => rand());
    const out = new Float64Array(cols).fill(Number.NaN);
    X.weightedSquares(d, out);
    expect(Array.from(out)).toEqual(Array.from(ref.weightedSquares(d)));
  });

  it('takes X^T u and the weighted squares in one pass, each bit for bit as its own method', () => {
    for (const design of [
      X,
      new SparseDesign(csr, { colScale: Float64Array.from({ length: cols }, () => 0.5 + rand()) }),
    ]) {
      const u = Float64Array.from({ length: design.rows }, (_, r) => (r % 3 === 0 ? 0 : rand() * 2 - 1));
      const d = Float64Array.from({ length: design.rows }, () => rand());
      const [outU, outD, ownU, ownD] = [0, 1, 2, 3].map(() => new Float64Array(cols).fill(Number.NaN));
      design.timesTransposedAndSquares(u, outU!, d, outD!);
      design.timesTransposed(u, ownU!);
      design.weightedSquares(d, ownD!);
      expect(Array.from(outU!)).toEqual(Array.from(ownU!));
      expect(Array.from(outD!)).toEqual(Array.from(ownD!));
    }
  });

  it('a subset of its rows (filtering its column index) takes every product bit for bit as a design built on those rows', () => {
    const colScale = Float64Array.from({ length: cols }, () => 0.5 + rand());
    const at = Int32Array.from({ length: rowIds.length }, (_, r) => r).filter((r) => r % 5 !== 2);
    const own = new SparseDesign(csr, { rowIds: at.map((r) => rowIds[r]!), center, rowScale, colScale });
    // Before and after the parent's own column index exists.
    for (const sub of [
      new SparseDesign(csr, { rowIds, center, rowScale }).subset(at, { center, rowScale, colScale }),
      X.subset(at, { center, rowScale, colScale }),
    ]) {
      expect(sub.rows).toBe(own.rows);
      const u = Float64Array.from({ length: at.length }, (_, r) => (r % 4 === 1 ? 0 : rand() * 2 - 1));
      const d = Float64Array.from({ length: at.length }, () => rand());
      const w = Float64Array.from({ length: cols }, () => rand() * 2 - 1);
      const products = (design: SparseDesign) => {
        const [tu, su, sd, sq, xw] = [cols, cols, cols, cols, at.length].map((m) => new Float64Array(m));
        design.timesTransposed(u, tu!);
        design.timesTransposedAndSquares(u, su!, d, sd!);
        design.weightedSquares(d, sq!);
        design.times(w, xw!);
        return [tu, su, sd, sq, xw].map((a) => Array.from(a!));
      };
      expect(products(sub)).toEqual(products(own));
    }
    expect(() => X.subset(Int32Array.from([3, 2]))).toThrow(RangeError);
  });

  it('a subset of a subset takes every product bit for bit as a design built on those rows', () => {
    const outer = Int32Array.from({ length: rowIds.length }, (_, r) => r).filter((r) => r % 5 !== 2);
    const inner = Int32Array.from({ length: outer.length }, (_, r) => r).filter((r) => r % 3 !== 0);
    const own = new SparseDesign(csr, { rowIds: inner.map((r) => rowIds[outer[r]!]!), center, rowScale });
    const sub = X.subset(outer, { center, rowScale }).subset(inner, { center, rowScale });
    expect(sub.rows).toBe(own.rows);
    const u = Float64Array.from({ length: inner.length }, (_, r) => (r % 4 === 1 ? 0 : rand() * 2 - 1));
    const d = Float64Array.from({ length: inner.length }, () => rand());
    const products = (design: SparseDesign) => {
      const [tu, su, sd, sq] = [0, 1, 2, 3].map(() => new Float64Array(cols));
      design.timesTransposed(u, tu!);
      design.timesTransposedAndSquares(u, su!, d, sd!);
      design.weightedSquares(d, sq!);
      return [tu, su, sd, sq].map((a) => Array.from(a!));
    };
    expect(products(sub)).toEqual(products(own));
  });

  it('agrees with a dense computation of X^T u (centering and scaling applied to the rows)', () => {
    const u = Float64Array.from({ length: rowIds.length }, () => rand() * 2 - 1);
    const dense = new Float64Array(cols);
    rowIds.forEach((i, r) => {
      const row = new Float64Array(cols);
      for (let k = csr.indptr[i]!; k < csr.indptr[i + 1]!; k++) row[csr.indices[k]!] = csr.values[k]!;
      for (let j = 0; j < cols; j++) dense[j]! += u[r]! * (row[j]! - center[j]!) * rowScale[i]!;
    });
    const out = new Float64Array(cols);
    X.timesTransposed(u, out);
    out.forEach((v, j) => {
      expect(v).toBeCloseTo(dense[j]!, 10);
    });
  });
});
