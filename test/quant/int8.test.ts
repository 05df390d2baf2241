import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { dequantizeInt8, int8Range, quantizeInt8, scaleAndZeroPoint } from '../../src/quant/int8.js';
import { roundHalfEven } from '../../src/quant/rounding.js';
import { maxAbsDiff } from '../helpers/vectors.js';
import { lcg } from './lcg.js';

function randomMatrix(rows: number, cols: number, seed = 1): Float32Array {
  const r = lcg(seed);
  const out = new Float32Array(rows * cols);
  // columns with very different ranges, so per-channel scales matter
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = r() * (j + 1) * 0.1;
  return out;
}

describe('roundHalfEven', () => {
  it('sends ties to the even neighbour and everything else to the nearest integer', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6].map(roundHalfEven)).toEqual([
      0, 2, 2, 0, -2, -2, 2, 3, -3,
    ]);
  });
});

describe('scaleAndZeroPoint', () => {
  it('maps a symmetric int8 range onto [-127, 127] with zero point 0', () => {
    const { scale, zeroPoint } = scaleAndZeroPoint(-0.5, 2, -127, 127, true);
    expect(scale).toBeCloseTo(2 / 127, 7);
    expect(zeroPoint).toBe(0);
  });
  it('fits an asymmetric uint8 zero point that represents 0 exactly', () => {
    const { scale, zeroPoint } = scaleAndZeroPoint(-1, 3, 0, 255, false);
    expect(scale).toBeCloseTo(4 / 255, 7);
    expect(zeroPoint).toBe(64); // round(1 / (4/255)) = round(63.75)
  });
  it('widens a range that excludes 0 and survives a constant-zero range', () => {
    expect(scaleAndZeroPoint(2, 3, 0, 255, false).zeroPoint).toBe(0);
    expect(scaleAndZeroPoint(0, 0, -127, 127, true)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(scaleAndZeroPoint(0, 0, 0, 255, true)).toEqual({ scale: 1, zeroPoint: 128 });
  });
});

describe('quantizeInt8', () => {
  it('round-trips within half a step per tensor, symmetric int8', () => {
    const x = randomMatrix(16, 8);
    const q = quantizeInt8(x, [16, 8]);
    expect(q.type).toBe('int8');
    expect(q.data).toBeInstanceOf(Int8Array);
    expect(q.scales.length).toBe(1);
    expect(q.zeroPoints[0]).toBe(0);
    expect(Math.max(...q.data)).toBeLessThanOrEqual(127);
    expect(Math.min(...q.data)).toBeGreaterThanOrEqual(-127);
    expect(maxAbsDiff(dequantizeInt8(q), x)).toBeLessThanOrEqual(q.scales[0]! / 2 + 1e-7);
  });

  it('keeps one scale per output column with axis 1 and is more accurate than per tensor', () => {
    const x = randomMatrix(32, 6);
    const perTensor = quantizeInt8(x, [32, 6]);
    const perChannel = quantizeInt8(x, [32, 6], { axis: 1 });
    expect(perChannel.scales.length).toBe(6);
    expect(perChannel.axis).toBe(1);
    // column 0 spans a tenth of column 5's range, so its scale is about a tenth
    expect(perChannel.scales[0]! / perChannel.scales[5]!).toBeLessThan(0.3);
    const errT = maxAbsDiff(dequantizeInt8(perTensor).subarray(0, 32 * 6), x);
    const back = dequantizeInt8(perChannel);
    for (let j = 0; j < 6; j++) {
      for (let i = 0; i < 32; i++) {
        expect(Math.abs(back[i * 6 + j]! - x[i * 6 + j]!)).toBeLessThanOrEqual(
          perChannel.scales[j]! / 2 + 1e-7,
        );
      }
    }
    let errC = 0;
    for (let j = 0; j < 2; j++)
      for (let i = 0; i < 32; i++) errC = Math.max(errC, Math.abs(back[i * 6 + j]! - x[i * 6 + j]!));
    expect(errC).toBeLessThan(errT);
  });

  it('handles axis 0 (a [N, K] Linear weight) and negative axes', () => {
    const x = randomMatrix(4, 10, 3);
    const a = quantizeInt8(x, [4, 10], { axis: 0 });
    const b = quantizeInt8(x, [4, 10], { axis: -2 });
    expect(a.scales.length).toBe(4);
    expect(b.axis).toBe(0);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('fits asymmetric uint8 ranges like ONNX Runtime quantize_dynamic', () => {
    const x = new Float32Array([0.2, 0.4, 1.0, 0.0]);
    const q = quantizeInt8(x, [4], { type: 'uint8', symmetric: false });
    expect(q.data).toBeInstanceOf(Uint8Array);
    expect(q.zeroPoints[0]).toBe(0);
    expect(Array.from(q.data)).toEqual([51, 102, 255, 0]);
    expect(maxAbsDiff(dequantizeInt8(q), x)).toBeLessThan(1 / 255);
  });

  it('uses 7 bits with reduceRange', () => {
    const q = quantizeInt8(randomMatrix(8, 8), [8, 8], { reduceRange: true });
    expect(Math.max(...Array.from(q.data, Math.abs))).toBeLessThanOrEqual(64);
    expect(int8Range('uint8', false, true)).toEqual([0, 127]);
  });

  it('maps an all-zero tensor to zeros', () => {
    const q = quantizeInt8(new Float32Array(6), [2, 3], { axis: 1 });
    expect(Array.from(dequantizeInt8(q))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects a wrong shape, a bad axis and non-finite values with InvalidOptionsError', () => {
    expect(() => quantizeInt8([1, 2, 3], [2, 2])).toThrow(InvalidOptionsError);
    expect(() => quantizeInt8([1, 2, 3, 4], [2, 2], { axis: 2 })).toThrow(/axis/);
    expect(() => quantizeInt8([1, Number.NaN], [2])).toThrow(/finite/);
    expect(() => quantizeInt8([1, 2], [2], { type: 'int16' as never })).toThrow(/int8/);
  });
});
