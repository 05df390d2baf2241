import { describe, expect, it } from 'vitest';
import { csrFromRows, SparseDesign } from '../../src/numeric/design-matrix.js';
import { solveLogistic } from '../../src/numeric/logistic-solver.js';
import { seededRandom } from '../../src/numeric/random.js';

/** A weakly penalised sparse problem (more columns than rows), like the embedding probe's. */
function problem(n: number, cols: number, seed: number) {
  const rand = seededRandom(seed);
  const truth = Float64Array.from({ length: cols }, () => rand() * 2 - 1);
  const rows = Array.from({ length: n }, () => {
    const picked: number[] = [];
    for (let j = 0; j < cols; j++) if (rand() < 0.1) picked.push(j);
    return { indices: Int32Array.from(picked), values: Float32Array.from(picked, () => rand()) };
  });
  const y = rows.map((r) => {
    let z = 0;
    r.indices.forEach((j, k) => {
      z += truth[j]! * r.values[k]!;
    });
    return rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  });
  return { csr: csrFromRows(rows, cols), y };
}

describe('solveLogistic warm start measured from zero (relGradFromZero)', () => {
  const { csr, y } = problem(1000, 100, 7);
  const all = new SparseDesign(csr);
  const o = { l2: 0.01, maxIter: 100, tol: 1e-6, relGradTol: 1e-3 };
  const cold = solveLogistic(all, y, o);
  // The solution on a neighbouring subset (what the previous fold of an out-of-fold fit leaves).
  const sub = Int32Array.from({ length: 800 }, (_, i) => i + 200);
  const near = solveLogistic(
    new SparseDesign(csr, { rowIds: sub }),
    Array.from(sub, (i) => y[i]!),
    o,
  );

  it('reaches the cold solve’s optimum within the solver’s tolerance, in fewer Newton steps', () => {
    const warm = solveLogistic(all, y, { ...o, init: near, relGradFromZero: true });
    expect(warm.iterations).toBeLessThan(cold.iterations);
    const z = (s: { weights: Float64Array; intercept: number }) => {
      const out = new Float64Array(all.rows);
      all.times(s.weights, out);
      return out.map((v) => v + s.intercept);
    };
    const zc = z(cold);
    const zw = z(warm);
    let worst = 0;
    zc.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - zw[i]!));
    });
    expect(worst).toBeLessThan(0.05);
  });

  it('stops where the gradient is relGradTol times its norm at zero weights, as a cold solve does', () => {
    const grad2 = (w: Float64Array, b: number) => {
      const z = new Float64Array(all.rows);
      all.times(w, z);
      const r = z.map((v, i) => 1 / (1 + Math.exp(-(v + b))) - y[i]!);
      const g = new Float64Array(all.cols);
      all.timesTransposed(r, g);
      let s2 = r.reduce((a, v) => a + v, 0) ** 2;
      g.forEach((v, j) => {
        s2 += (v + o.l2 * w[j]!) ** 2;
      });
      return s2;
    };
    const atZero = grad2(new Float64Array(all.cols), 0);
    const atNear = grad2(Float64Array.from(near.weights), near.intercept);
    expect(atNear).toBeGreaterThan(o.relGradTol ** 2 * atZero);
    const warm = solveLogistic(all, y, { ...o, init: near, relGradFromZero: true });
    expect(grad2(warm.weights, warm.intercept)).toBeLessThanOrEqual(o.relGradTol ** 2 * atZero);
  });
});
