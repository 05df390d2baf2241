import { describe, expect, it } from 'vitest';
import { csrFromRows, DenseDesign, type DesignMatrix, SparseDesign } from '../src/numeric/design-matrix.js';
import { seededRandom } from '../src/numeric/random.js';

/** The Hessian-vector product the solver used before the fused pass: times, weighting, timesTransposed. */
function composed(X: DesignMatrix, w: Float64Array, shift: number, d: Float64Array, ridge: number) {
  const u = new Float64Array(X.rows);
  X.times(w, u);
  for (let r = 0; r < X.rows; r++) u[r] = d[r]! * (u[r]! + shift);
  const out = new Float64Array(X.cols);
  X.timesTransposed(u, out);
  for (let j = 0; j < X.cols; j++) out[j]! += ridge * w[j]!;
  return { u, out };
}

function fused(X: DesignMatrix, w: Float64Array, shift: number, d: Float64Array, ridge: number) {
  const u = new Float64Array(X.rows);
  const out = new Float64Array(X.cols).fill(Number.NaN);
  X.weightedGramTimes(w, shift, d, ridge, u, out);
  return { u, out };
}

describe('DesignMatrix fused passes', () => {
  const rand = seededRandom(7);
  const cols = 50;
  const rows = Array.from({ length: 30 }, (_, r) => {
    const idx = [...new Set(Array.from({ length: 8 }, () => Math.floor(rand() * cols)))].sort(
      (a, b) => a - b,
    );
    // Row 3 is empty and row 4 gets a zero weight below: both skip the scatter.
    const indices = r === 3 ? [] : idx;
    return { indices, values: indices.map(() => rand() - 0.5) };
  });
  const csr = csrFromRows(rows, cols);
  const center = Float64Array.from({ length: cols }, () => rand() * 0.1);
  const rowScale = Float64Array.from({ length: rows.length }, () => 0.5 + rand());
  const colScale = Float64Array.from({ length: cols }, () => 0.5 + rand());
  const w = Float64Array.from({ length: cols }, () => rand() - 0.5);

  const cases: [string, DesignMatrix][] = [
    ['plain sparse', new SparseDesign(csr)],
    [
      'sparse, row subset, centered, row- and column-scaled',
      new SparseDesign(csr, { rowIds: Int32Array.from([5, 0, 4, 3, 29, 11]), center, rowScale, colScale }),
    ],
    ['sparse, centered and row-scaled', new SparseDesign(csr, { center, rowScale })],
    [
      'dense',
      new DenseDesign(
        Float64Array.from({ length: 12 * cols }, () => rand() - 0.5),
        12,
        cols,
      ),
    ],
  ];
  for (const [name, X] of cases) {
    it(`equals times + timesTransposed bit for bit (${name})`, () => {
      const d = Float64Array.from({ length: X.rows }, (_, r) => (r === 2 ? 0 : rand()));
      const a = composed(X, w, 0.3, d, 0.01);
      const b = fused(X, w, 0.3, d, 0.01);
      expect(Array.from(b.u)).toEqual(Array.from(a.u));
      expect(Array.from(b.out)).toEqual(Array.from(a.out));
      expect(b.out.some((v) => v !== 0)).toBe(true);
    });
    it(`timesTransposedAndSquares equals timesTransposed + weightedSquares bit for bit (${name})`, () => {
      const u = Float64Array.from({ length: X.rows }, (_, r) => (r === 1 ? 0 : rand() - 0.5));
      const d = Float64Array.from({ length: X.rows }, () => rand());
      const out = new Float64Array(X.cols);
      const squares = new Float64Array(X.cols);
      X.timesTransposed(u, out);
      X.weightedSquares(d, squares);
      const out2 = new Float64Array(X.cols).fill(Number.NaN);
      const squares2 = new Float64Array(X.cols).fill(Number.NaN);
      X.timesTransposedAndSquares(u, out2, d, squares2);
      expect(Array.from(out2)).toEqual(Array.from(out));
      expect(Array.from(squares2)).toEqual(Array.from(squares));
      expect(squares.some((v) => v > 0)).toBe(true);
    });
  }
});
