import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { dequantizeInt4Blockwise, int4ByteSize, quantizeInt4Blockwise } from '../../src/quant/int4.js';
import { lcg } from './lcg.js';

function weight(K: number, N: number, seed = 7): Float32Array {
  const r = lcg(seed);
  return Float32Array.from({ length: K * N }, () => r() * 0.2);
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = w[i * cols + j]!;
  return out;
}

describe('quantizeInt4Blockwise', () => {
  it('packs [N, blocks, blockSize/2] with one scale per block and no zero points when symmetric', () => {
    const K = 64;
    const N = 5;
    const q = quantizeInt4Blockwise(weight(K, N), K, N, { blockSize: 32 });
    expect(q.blocksPerColumn).toBe(2);
    expect(q.packed.length).toBe(N * 2 * 16);
    expect(q.scales.length).toBe(N * 2);
    expect(q.zeroPoints).toBeUndefined();
    // 4 bits per weight plus a float32 scale per 32 weights: 6.4x smaller than float32
    expect((4 * K * N) / int4ByteSize(q)).toBeCloseTo(6.4, 5);
  });

  it('follows the documented nibble order: feature 2j low, 2j+1 high, value = (q - 8) * scale', () => {
    // K=32, N=1: one block; the largest magnitude (-1.6) maps to q=0 (scale 0.2)
    const w = new Float32Array(32);
    w[0] = -1.6;
    w[1] = 0.2;
    w[2] = 1.4;
    w[3] = 0.4;
    const q = quantizeInt4Blockwise(w, 32, 1, { blockSize: 32 });
    expect(q.scales[0]).toBeCloseTo(0.2, 6);
    expect(q.packed[0]).toBe(0 | (9 << 4)); // -1.6 -> 0, 0.2 -> 9
    expect(q.packed[1]).toBe(15 | (10 << 4)); // 1.4 -> 15, 0.4 -> 10
    expect(q.packed[2]).toBe(8 | (8 << 4)); // zeros -> 8
  });

  it('round-trips within half a step (asymmetric) or one step (symmetric) for every block size', () => {
    const K = 96; // not a multiple of 64 or 128: the last block is padded
    const N = 7;
    const w = weight(K, N);
    for (const blockSize of [16, 32, 64, 128] as const) {
      for (const symmetric of [true, false]) {
        const q = quantizeInt4Blockwise(w, K, N, { blockSize, symmetric });
        const back = dequantizeInt4Blockwise(q);
        for (let n = 0; n < N; n++) {
          for (let k = 0; k < K; k++) {
            const s = Math.abs(q.scales[n * q.blocksPerColumn + Math.floor(k / blockSize)]!);
            // symmetric blocks map the largest magnitude to -8, so the opposite end (up to +8 steps) clips at +7
            const bound = symmetric ? s : s / 2;
            expect(Math.abs(back[k * N + n]! - w[k * N + n]!)).toBeLessThanOrEqual(bound + 1e-6);
          }
        }
        if (!symmetric) expect(q.zeroPoints?.length).toBe(N * Math.ceil(q.blocksPerColumn / 2));
      }
    }
  });

  it('stores asymmetric zero points two per byte, even blocks in the low nibble', () => {
    const K = 48; // 3 blocks of 16
    const w = new Float32Array(K);
    for (let k = 0; k < 16; k++) w[k] = k / 15; // block 0: [0, 1] -> zp 0
    for (let k = 16; k < 32; k++) w[k] = -(k - 16) / 15; // block 1: [-1, 0] -> zp 15
    for (let k = 32; k < 48; k++) w[k] = (k - 32) / 15 - 0.5; // block 2: about [-0.5, 0.5] -> zp 7 or 8
    const q = quantizeInt4Blockwise(w, K, 1, { blockSize: 16, symmetric: false });
    expect(q.zeroPoints?.length).toBe(2);
    expect(q.zeroPoints![0]! & 0x0f).toBe(0);
    expect(q.zeroPoints![0]! >> 4).toBe(15);
    expect([7, 8]).toContain(q.zeroPoints![1]! & 0x0f);
    expect(q.zeroPoints![1]! >> 4).toBe(0);
  });

  it('gives the same result from an [N, K] layout as from the [K, N] one', () => {
    const K = 64;
    const N = 3;
    const w = weight(K, N, 11);
    const a = quantizeInt4Blockwise(w, K, N);
    const b = quantizeInt4Blockwise(transpose(w, K, N), K, N, { layout: 'nk' });
    expect(Array.from(b.packed)).toEqual(Array.from(a.packed));
    expect(Array.from(dequantizeInt4Blockwise(b, 'nk'))).toEqual(
      Array.from(transpose(dequantizeInt4Blockwise(a), K, N)),
    );
  });

  it('quantizes an all-zero block to zeros without dividing by zero', () => {
    const q = quantizeInt4Blockwise(new Float32Array(32 * 2), 32, 2, { symmetric: false });
    expect(Array.from(dequantizeInt4Blockwise(q)).every((v) => v === 0)).toBe(true);
  });

  it('rejects bad block sizes, sizes and values with InvalidOptionsError', () => {
    expect(() => quantizeInt4Blockwise(new Float32Array(64), 32, 2, { blockSize: 24 as never })).toThrow(
      InvalidOptionsError,
    );
    expect(() => quantizeInt4Blockwise(new Float32Array(63), 32, 2)).toThrow(/64 values expected/);
    expect(() => quantizeInt4Blockwise(new Float32Array([Number.POSITIVE_INFINITY, 0]), 2, 1)).toThrow(
      /finite/,
    );
  });
});
