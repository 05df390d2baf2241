import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { clamp, roundHalfEven } from './rounding.js';

/** The two 8-bit integer types ONNX quantized operators take. */
export type Int8Type = 'int8' | 'uint8';

/** Options for {@link quantizeInt8}. */
export interface Int8QuantizeOptions {
  /**
   * Signed (`int8`) or unsigned (`uint8`) storage. ONNX Runtime recommends signed weights for transformers.
   * @defaultValue 'int8'
   */
  type?: Int8Type;
  /**
   * Symmetric ranges (`[-a, a]`, zero point 0 for `int8`, 128 for `uint8`) or asymmetric ones
   * (`[min(x, 0), max(x, 0)]` with a fitted zero point).
   * @defaultValue true
   */
  symmetric?: boolean;
  /**
   * Quantize per channel along this axis (one scale and zero point per index of that axis), e.g. `1` for the
   * output columns of a MatMul weight `[K, N]`. Omit for one scale for the whole tensor.
   * @defaultValue undefined (per tensor)
   */
  axis?: number;
  /**
   * Use 7 of the 8 bits (`[-64, 64]` / `[0, 127]`), for CPUs without VNNI where 8-bit products can saturate.
   * @defaultValue false
   */
  reduceRange?: boolean;
}

/** An 8-bit quantized tensor: `x ≈ (q - zeroPoint) * scale`, per tensor or per channel. */
export interface Int8Tensor {
  /** Storage type. */
  type: Int8Type;
  /** The quantized values, row-major in `shape`. */
  data: Int8Array | Uint8Array;
  /** Shape of `data`. */
  shape: number[];
  /** The per-channel axis, or `undefined` when quantized per tensor. */
  axis: number | undefined;
  /** One scale per channel (`shape[axis]` of them), or one. */
  scales: Float32Array;
  /** One zero point per channel, or one; same type as `data`. */
  zeroPoints: Int8Array | Uint8Array;
}

/**
 * The integer range `[qmin, qmax]` used for a type and mode.
 *
 * @param type - `int8` or `uint8`
 * @param symmetric - symmetric int8 uses `[-127, 127]` so that `+a` and `-a` both map exactly
 * @param reduceRange - use 7 bits
 */
export function int8Range(type: Int8Type, symmetric: boolean, reduceRange = false): [number, number] {
  if (type === 'int8') {
    if (reduceRange) return [-64, 64];
    // A symmetric int8 range drops -128 so that +a and -a both map exactly (what ONNX Runtime does).
    return symmetric ? [-127, 127] : [-128, 127];
  }
  return reduceRange ? [0, 127] : [0, 255];
}

/**
 * Scale and zero point that map the real range `[rmin, rmax]` (widened to contain 0) onto `[qmin, qmax]`.
 * A range of width 0 gets scale 1, so constant-zero channels quantize to the zero point and back to 0.
 *
 * @param rmin - smallest real value
 * @param rmax - largest real value
 * @param qmin - smallest integer
 * @param qmax - largest integer
 * @param symmetric - centre the range on 0
 */
export function scaleAndZeroPoint(
  rmin: number,
  rmax: number,
  qmin: number,
  qmax: number,
  symmetric: boolean,
): { scale: number; zeroPoint: number } {
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -a;
    hi = a;
  }
  // Round the scale to float32 now so quantize and dequantize use exactly the stored value.
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  if (scale === 0 || !Number.isFinite(scale)) {
    const zp = symmetric ? roundHalfEven((qmin + qmax) / 2) : qmin;
    return { scale: 1, zeroPoint: clamp(zp, qmin, qmax) };
  }
  return { scale, zeroPoint: clamp(roundHalfEven(qmin - lo / scale), qmin, qmax) };
}

function checkShape(values: ArrayLike<number>, shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new InvalidOptionsError(
        'shape',
        `dimensions must be non-negative integers, got [${shape.join(', ')}]`,
      );
    n *= d;
  }
  if (n !== values.length) {
    throw new InvalidOptionsError(
      'shape',
      `[${shape.join(', ')}] holds ${n} values but ${values.length} were given`,
    );
  }
  return n;
}

function resolveAxis(axis: number | undefined, rank: number): number | undefined {
  if (axis === undefined) return undefined;
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new InvalidOptionsError(
      'axis',
      `expected an integer in [-${rank}, ${rank - 1}] for a rank-${rank} tensor, got ${axis}`,
    );
  }
  return a;
}

/** Splits `shape` around `axis` into (outer, channels, inner) extents. */
function split(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

/**
 * Quantizes a float tensor to 8 bits, per tensor or per channel, symmetric or asymmetric:
 * `q = clamp(round(x / scale) + zeroPoint, qmin, qmax)` with ties rounded to even.
 *
 * @param values - the float values, row-major
 * @param shape - their shape
 * @param options - type, symmetry, per-channel axis
 * @returns the quantized tensor with its scales and zero points
 * @throws InvalidOptionsError when the shape does not match or the axis is out of range
 *
 * @example
 * ```ts
 * // a MatMul weight [K=2, N=3], one scale per output column
 * const q = quantizeInt8(new Float32Array([0.1, -0.2, 0.3, 0.4, 0.5, -0.6]), [2, 3], { axis: 1 });
 * q.scales.length; // 3
 * dequantizeInt8(q); // ≈ the input
 * ```
 */
export function quantizeInt8(
  values: ArrayLike<number>,
  shape: readonly number[],
  options: Int8QuantizeOptions = {},
): Int8Tensor {
  const type = options.type ?? 'int8';
  if (type !== 'int8' && type !== 'uint8') {
    throw new InvalidOptionsError('type', `expected 'int8' or 'uint8', got ${describeValue(type)}`);
  }
  const symmetric = options.symmetric ?? true;
  const n = checkShape(values, shape);
  const axis = resolveAxis(options.axis, shape.length);
  const [qmin, qmax] = int8Range(type, symmetric, options.reduceRange ?? false);
  const [outer, channels, inner] = axis === undefined ? [1, 1, n] : split(shape, axis);

  const mins = new Float64Array(channels).fill(Number.POSITIVE_INFINITY);
  const maxs = new Float64Array(channels).fill(Number.NEGATIVE_INFINITY);
  forEachChannelRun(outer, channels, inner, (base, c) => {
    let lo = mins[c]!;
    let hi = maxs[c]!;
    for (let i = 0; i < inner; i++) {
      const v = values[base + i]!;
      if (!Number.isFinite(v)) {
        throw new InvalidOptionsError(
          'values',
          `value at index ${base + i} is ${v}: only finite weights can be quantized`,
        );
      }
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    mins[c] = lo;
    maxs[c] = hi;
  });

  const scales = new Float32Array(channels);
  const zps = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const lo = Number.isFinite(mins[c]!) ? mins[c]! : 0;
    const hi = Number.isFinite(maxs[c]!) ? maxs[c]! : 0;
    const { scale, zeroPoint } = scaleAndZeroPoint(lo, hi, qmin, qmax, symmetric);
    scales[c] = scale;
    zps[c] = zeroPoint;
  }

  const data = type === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  forEachChannelRun(outer, channels, inner, (base, c) => {
    const s = scales[c]!;
    const zp = zps[c]!;
    for (let i = 0; i < inner; i++)
      data[base + i] = clamp(roundHalfEven(values[base + i]! / s) + zp, qmin, qmax);
  });
  const zeroPoints = type === 'int8' ? Int8Array.from(zps) : Uint8Array.from(zps);
  return { type, data, shape: [...shape], axis, scales, zeroPoints };
}

/**
 * Turns an 8-bit tensor back into floats: `x = (q - zeroPoint) * scale`.
 *
 * @param q - a tensor from {@link quantizeInt8}
 * @returns the float values, row-major in `q.shape`
 *
 * @example
 * ```ts
 * const x = dequantizeInt8(quantizeInt8([1, -1, 0.5], [3]));
 * x[0]; // 1
 * ```
 */
export function dequantizeInt8(q: Int8Tensor): Float32Array {
  const n = q.data.length;
  const out = new Float32Array(n);
  const [outer, channels, inner] = q.axis === undefined ? [1, 1, n] : split(q.shape, q.axis);
  forEachChannelRun(outer, channels, inner, (base, c) => {
    const s = q.scales[c]!;
    const zp = q.zeroPoints[c]!;
    for (let i = 0; i < inner; i++) out[base + i] = (q.data[base + i]! - zp) * s;
  });
  return out;
}

/**
 * Visits a tensor laid out as `[outer, channels, inner]` one contiguous run of `inner` values at a time, with the
 * run's first index and its channel.
 */
function forEachChannelRun(
  outer: number,
  channels: number,
  inner: number,
  visit: (base: number, channel: number) => void,
): void {
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) visit((o * channels + c) * inner, c);
  }
}
