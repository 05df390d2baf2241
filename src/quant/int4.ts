import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { clamp, roundHalfEven } from './rounding.js';

/** Block sizes ONNX Runtime's `MatMulNBits` accepts (a power of two, at least 16). */
export type Int4BlockSize = 16 | 32 | 64 | 128 | 256;

/** Options for {@link quantizeInt4Blockwise}. */
export interface Int4QuantizeOptions {
  /**
   * How many consecutive input features (along K) share one scale.
   * Smaller blocks are more accurate and a little larger.
   * @defaultValue 32
   */
  blockSize?: Int4BlockSize;
  /**
   * Symmetric blocks (values in `[-8, 7] * scale`, implicit zero point 8, no zero-point tensor) or asymmetric
   * blocks (`[min, max]` widened to contain 0 mapped onto `[0, 15]`, one 4-bit zero point per block).
   * @defaultValue true
   */
  symmetric?: boolean;
  /**
   * Memory layout of the float weight: `kn` for a MatMul's right-hand side `[K, N]`, `nk` for a PyTorch
   * `Linear` weight or a `Gemm` with `transB=1` (`[N, K]`).
   * @defaultValue 'kn'
   */
  layout?: 'kn' | 'nk';
}

/**
 * A weight quantized to 4 bits block-wise, laid out exactly as ONNX Runtime's `com.microsoft.MatMulNBits`
 * takes it (inputs B, scales and zero_points; attributes K, N, bits = 4, block_size).
 *
 * For output column `n` and block `b` (features `b * blockSize .. (b + 1) * blockSize - 1`):
 * - `packed[(n * blocksPerColumn + b) * blockSize / 2 + j]` holds feature `2j` of the block in its low nibble
 *   and feature `2j + 1` in its high nibble;
 * - `scales[n * blocksPerColumn + b]` is the block's scale;
 * - the zero point is the low (even `b`) or high (odd `b`) nibble of `zeroPoints[n * ceil(blocksPerColumn / 2) + b / 2]`,
 *   or 8 when `zeroPoints` is absent.
 *
 * The weight is `w[k, n] = (q - zeroPoint) * scale`. Features past K in the last block are padding.
 */
export interface Int4BlockwiseWeight {
  /** Input features (rows of the MatMul weight). */
  K: number;
  /** Output features (columns of the MatMul weight). */
  N: number;
  /** Always 4. */
  bits: 4;
  /** Features per block. */
  blockSize: number;
  /** `ceil(K / blockSize)`. */
  blocksPerColumn: number;
  /** Packed nibbles, `[N, blocksPerColumn, blockSize / 2]`. */
  packed: Uint8Array;
  /** Block scales, `[N, blocksPerColumn]`. */
  scales: Float32Array;
  /** Packed 4-bit zero points, `[N, ceil(blocksPerColumn / 2)]`; absent for symmetric blocks (zero point 8). */
  zeroPoints: Uint8Array | undefined;
}

const BLOCK_SIZES: readonly number[] = [16, 32, 64, 128, 256];

/**
 * Quantizes a float weight to 4 bits with one scale (and, when asymmetric, one zero point) per block of
 * `blockSize` input features of each output column, packed for ONNX Runtime's `MatMulNBits`.
 *
 * Symmetric blocks follow ONNX Runtime's `MatMulNBitsQuantizer`: the value of largest magnitude maps to -8
 * (`scale = v / -8`), so a block uses the full 16 levels.
 *
 * @param weight - float values in the given layout
 * @param K - input features
 * @param N - output features
 * @param options - block size, symmetry, layout
 * @returns the packed weight, its scales and zero points
 * @throws InvalidOptionsError on a bad block size, a size mismatch or a non-finite value
 *
 * @example
 * ```ts
 * const w = new Float32Array(64 * 8).map((_, i) => Math.sin(i)); // [K=64, N=8]
 * const q = quantizeInt4Blockwise(w, 64, 8, { blockSize: 32 });
 * q.packed.length; // 8 * 2 * 16 = 256 bytes, against 2048 bytes of float32
 * ```
 */
export function quantizeInt4Blockwise(
  weight: ArrayLike<number>,
  K: number,
  N: number,
  options: Int4QuantizeOptions = {},
): Int4BlockwiseWeight {
  const blockSize = options.blockSize ?? 32;
  if (!BLOCK_SIZES.includes(blockSize)) {
    throw new InvalidOptionsError(
      'blockSize',
      `expected one of ${BLOCK_SIZES.join(', ')}, got ${describeValue(blockSize)}`,
    );
  }
  const symmetric = options.symmetric ?? true;
  const layout = options.layout ?? 'kn';
  if (layout !== 'kn' && layout !== 'nk') {
    throw new InvalidOptionsError('layout', `expected 'kn' or 'nk', got ${describeValue(layout)}`);
  }
  if (!Number.isInteger(K) || !Number.isInteger(N) || K < 1 || N < 1) {
    throw new InvalidOptionsError('shape', `K and N must be positive integers, got K=${K}, N=${N}`);
  }
  if (weight.length !== K * N) {
    throw new InvalidOptionsError(
      'shape',
      `K=${K} x N=${N} = ${K * N} values expected, got ${weight.length}`,
    );
  }
  const blocks = Math.ceil(K / blockSize);
  const blob = blockSize / 2;
  const zpStride = Math.ceil(blocks / 2);
  const packed = new Uint8Array(N * blocks * blob);
  const scales = new Float32Array(N * blocks);
  const zeroPoints = symmetric ? undefined : new Uint8Array(N * zpStride);
  const at = layout === 'kn' ? (k: number, n: number) => k * N + n : (k: number, n: number) => n * K + k;
  const q = new Uint8Array(blockSize);

  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      let lo = 0;
      let hi = 0;
      for (let k = k0; k < k1; k++) {
        const v = weight[at(k, n)]!;
        if (!Number.isFinite(v)) {
          throw new InvalidOptionsError(
            'weight',
            `value at k=${k}, n=${n} is ${v}: only finite weights can be quantized`,
          );
        }
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      let scale: number;
      let zp: number;
      if (symmetric) {
        const extreme = Math.abs(hi) > Math.abs(lo) ? hi : lo;
        scale = Math.fround(extreme / -8);
        zp = 8;
      } else {
        scale = Math.fround((hi - lo) / 15);
        zp = scale === 0 ? 8 : clamp(roundHalfEven(-lo / scale), 0, 15);
      }
      const inv = scale === 0 ? 0 : 1 / scale;
      q.fill(zp);
      for (let k = k0; k < k1; k++) q[k - k0] = clamp(roundHalfEven(weight[at(k, n)]! * inv) + zp, 0, 15);
      const base = (n * blocks + b) * blob;
      for (let j = 0; j < blob; j++) packed[base + j] = q[2 * j]! | (q[2 * j + 1]! << 4);
      scales[n * blocks + b] = scale;
      if (zeroPoints) {
        const idx = n * zpStride + (b >> 1);
        zeroPoints[idx] =
          b % 2 === 0 ? (zeroPoints[idx]! & 0xf0) | zp : (zeroPoints[idx]! & 0x0f) | (zp << 4);
      }
    }
  }
  return { K, N, bits: 4, blockSize, blocksPerColumn: blocks, packed, scales, zeroPoints };
}

/**
 * Unpacks a {@link Int4BlockwiseWeight} back into floats, as `MatMulNBits` sees them.
 *
 * @param w - the packed weight
 * @param layout - `kn` returns `[K, N]` (MatMul right-hand side), `nk` returns `[N, K]`
 * @returns the dequantized weight
 *
 * @example
 * ```ts
 * const back = dequantizeInt4Blockwise(quantizeInt4Blockwise(w, 64, 8)); // [64, 8], within scale/2 of w
 * ```
 */
export function dequantizeInt4Blockwise(w: Int4BlockwiseWeight, layout: 'kn' | 'nk' = 'kn'): Float32Array {
  const { K, N, blockSize, blocksPerColumn: blocks } = w;
  const blob = blockSize / 2;
  const zpStride = Math.ceil(blocks / 2);
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const scale = w.scales[n * blocks + b]!;
      let zp = 8;
      if (w.zeroPoints) {
        const byte = w.zeroPoints[n * zpStride + (b >> 1)]!;
        zp = b % 2 === 0 ? byte & 0x0f : byte >> 4;
      }
      const base = (n * blocks + b) * blob;
      const k0 = b * blockSize;
      for (let j = 0; j < blockSize && k0 + j < K; j++) {
        const byte = w.packed[base + (j >> 1)]!;
        const q = j % 2 === 0 ? byte & 0x0f : byte >> 4;
        const k = k0 + j;
        out[layout === 'kn' ? k * N + n : n * K + k] = (q - zp) * scale;
      }
    }
  }
  return out;
}

/**
 * Bytes the packed weight takes (data, scales, zero points) against `4 * K * N` for float32.
 *
 * @param w - the packed weight
 */
export function int4ByteSize(w: Int4BlockwiseWeight): number {
  return w.packed.byteLength + w.scales.byteLength + (w.zeroPoints?.byteLength ?? 0);
}
