import { describe, expect, it } from 'vitest';
import { poolTokens } from '../src/runtime/pool-tokens.js';
import { normalizeInPlace } from '../src/runtime/tensor-data.js';

/** The pooling as it was written before the four-token passes: one token at a time into float64 sums. */
function oneTokenAtATime(
  data: Float32Array,
  [n, len, dim]: number[],
  mask: BigInt64Array,
  normalize: boolean,
) {
  const out: Float32Array[] = [];
  for (let i = 0; i < n!; i++) {
    const acc = new Float64Array(dim!);
    let count = 0;
    for (let t = 0; t < len!; t++) {
      if (mask[i * len! + t] === 0n) continue;
      count++;
      for (let d = 0; d < dim!; d++) acc[d]! += data[(i * len! + t) * dim! + d]!;
    }
    const v = Float32Array.from(acc, (x) => x / Math.max(count, 1e-9));
    out.push(normalize ? normalizeInPlace(v) : v);
  }
  return out;
}

describe('poolTokens', () => {
  // 9 texts x 11 tokens x 7 dims: kept-token counts 0..9 (not multiples of four), holes in the mask, -0 values,
  // magnitudes from 1e-20 to 1e20 (so any other order of the additions gives other floats).
  const [n, len, dim] = [9, 11, 7];
  let seed = 3;
  const data = Float32Array.from({ length: n * len * dim }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % 13 === 0 ? -0 : (seed / 2147483648 - 0.5) * 10 ** ((seed % 41) - 20);
  });
  const mask = new BigInt64Array(n * len);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < len; t++) mask[i * len + t] = t < i + 2 && t !== 3 ? 1n : 0n;
  mask.fill(0n, 0, len); // a text with no kept token gives the zero vector

  it('gives the same floats, bit for bit, as summing one token at a time', () => {
    for (const normalize of [false, true]) {
      const got = poolTokens(data, [n, len, dim], mask, 'mean', normalize);
      const want = oneTokenAtATime(data, [n, len, dim], mask, normalize);
      expect(got.map((v) => [...v])).toStrictEqual(want.map((v) => [...v]));
    }
  });

  it('adds the tokens in their order: a sum that any other grouping rounds differently', () => {
    // 2^60 absorbs each later 2^7 added one at a time (a tie, rounded to even), so the last token cancels it
    // exactly and the mean is 0; adding any two of the 2^7 together first would leave a multiple of 2^8 behind.
    const row = [2 ** 60, 2 ** 7, 2 ** 7, 2 ** 7, 2 ** 7, 2 ** 7, 2 ** 7, 2 ** 7, -(2 ** 60)];
    const got = poolTokens(
      Float32Array.from(row),
      [1, row.length, 1],
      new BigInt64Array(row.length).fill(1n),
      'mean',
      false,
    );
    expect(got[0]![0]).toBe(0);
  });

  it('takes the first token with cls, and the mean of the kept tokens', () => {
    const d = new Float32Array([1, 2, 3, 4, 100, 100]);
    expect([...poolTokens(d, [1, 3, 2], new BigInt64Array([1n, 1n, 0n]), 'mean', false)[0]!]).toEqual([2, 3]);
    expect([...poolTokens(d, [1, 3, 2], new BigInt64Array([1n, 1n, 0n]), 'cls', false)[0]!]).toEqual([1, 2]);
    expect([...poolTokens(d, [1, 3, 2], new BigInt64Array([1n, 1n, 0n]), 'cls', true)[0]!]).toEqual(
      [1 / Math.sqrt(5), 2 / Math.sqrt(5)].map(Math.fround),
    );
  });
});
