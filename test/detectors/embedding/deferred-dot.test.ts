import { describe, expect, it } from 'vitest';
import { gatheredDot, rowDot } from '../../../src/detectors/embedding/deferred-dot.js';
import { seededRandom } from '../../../src/numeric/random.js';

/** The plain one-sum dot product the four-sum helpers must agree with (up to rounding). */
function plain(g: Float64Array, rows: Float32Array, o: number, cols: readonly number[]): number {
  let d = 0;
  for (const c of cols) d += g[c]! * rows[o + c]!;
  return d;
}

describe("the deferred hot part's dot products (four running sums)", () => {
  it('equal the one-sum dot product for every length, remainders included, over whole rows and gathered columns', () => {
    const r = seededRandom(7);
    for (let hot = 0; hot <= 19; hot++) {
      const n = 3;
      const rows = Float32Array.from({ length: n * hot }, () => r() * 2 - 1);
      const g = Float64Array.from({ length: hot }, () => (r() < 0.3 ? 0 : r() - 0.5));
      const active = Array.from({ length: hot }, (_, h) => h).filter((h) => g[h] !== 0);
      const cols = Int32Array.from(active);
      for (let j = 0; j < n; j++) {
        const o = j * hot;
        const all = Array.from({ length: hot }, (_, h) => h);
        const want = plain(g, rows, o, all);
        const scale = all.reduce((s, h) => s + Math.abs(g[h]! * rows[o + h]!), 0);
        expect(Math.abs(rowDot(g, rows, o, hot) - want)).toBeLessThanOrEqual(1e-15 * scale);
        // The zeros of g add nothing: over the active columns alone, the same sum.
        expect(Math.abs(gatheredDot(g, rows, o, cols, cols.length) - want)).toBeLessThanOrEqual(
          1e-15 * scale,
        );
        // Only the first `active` columns count.
        const firstTwo = plain(g, rows, o, active.slice(0, 2));
        expect(gatheredDot(g, rows, o, cols, Math.min(2, cols.length))).toBeCloseTo(firstTwo, 15);
      }
    }
  });
});
