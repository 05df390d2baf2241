import { describe, expect, it } from 'vitest';
import { fromFloat16Bits, roundToFloat16, toFloat16Bits } from '../../src/ann/vector-codec.js';

/** What half-precision bits stand for, straight from IEEE 754 (the reference for the table-driven decoder). */
function reference(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

describe('float16 codec', () => {
  it('decodes every one of the 65,536 half-precision bit patterns exactly', () => {
    const wrong: number[] = [];
    for (let b = 0; b < 0x10000; b++) if (!Object.is(fromFloat16Bits(b), reference(b))) wrong.push(b);
    expect(wrong).toEqual([]);
  });

  it('round-trips every non-NaN pattern, and rounding is idempotent', () => {
    const wrong: number[] = [];
    for (let b = 0; b < 0x10000; b++) {
      const x = fromFloat16Bits(b);
      if (!Number.isNaN(x) && toFloat16Bits(x) !== b) wrong.push(b);
    }
    expect(wrong).toEqual([]);
    const v = Float32Array.from([0.1, -2.5, 65504, 1e-7, 6.1e-5, 70000]);
    const once = roundToFloat16(v.slice());
    expect(Array.from(roundToFloat16(once.slice()))).toEqual(Array.from(once));
    expect(once[0]).toBe(0.0999755859375);
    expect(once[5]).toBe(Number.POSITIVE_INFINITY);
  });
});
