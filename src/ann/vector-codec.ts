import type { JsonObject } from '../core/json.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { type CompactVector, SPARSE_DENSITY, type SparseVector } from './vector-math.js';

// Typed arrays use the platform's byte order; saved state is little-endian everywhere.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toBase64(view: ArrayBufferView, bytesPerItem: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (LITTLE_ENDIAN || bytesPerItem === 1) return Buffer.from(bytes).toString('base64');
  const copy = Uint8Array.from(bytes);
  for (let i = 0; i < copy.length; i += bytesPerItem) copy.subarray(i, i + bytesPerItem).reverse();
  return Buffer.from(copy).toString('base64');
}

function fromBase64(text: unknown, bytesPerItem: number, what: string): ArrayBuffer {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new InvalidOptionsError(what, 'expected a base64 string (as written by toJSON())');
  }
  const buf = Buffer.from(text, 'base64');
  if (buf.length % bytesPerItem !== 0) {
    throw new InvalidOptionsError(
      what,
      `decodes to ${buf.length} bytes, not a whole number of ${bytesPerItem}-byte values`,
    );
  }
  const out = new Uint8Array(buf.length);
  out.set(buf);
  if (!LITTLE_ENDIAN && bytesPerItem > 1) {
    for (let i = 0; i < out.length; i += bytesPerItem) out.subarray(i, i + bytesPerItem).reverse();
  }
  return out.buffer;
}

/**
 * Encodes a `Float32Array` as base64 (little-endian): exact, and about a third of the size of a JSON number list.
 *
 * @param values - the values
 *
 * @example
 * ```ts
 * decodeFloat32(encodeFloat32(new Float32Array([1.5, -2]))); // Float32Array [1.5, -2]
 * ```
 */
export function encodeFloat32(values: Float32Array): string {
  return toBase64(values, 4);
}

/**
 * Decodes {@link encodeFloat32} output.
 *
 * @param text - the base64 string
 * @param what - names the field in error messages
 * @param length - the number of values expected, when known
 * @throws InvalidOptionsError when the text is not base64 of that many float32 values
 */
export function decodeFloat32(text: unknown, what = 'values', length?: number): Float32Array {
  const out = new Float32Array(fromBase64(text, 4, what));
  if (length !== undefined && out.length !== length) {
    throw new InvalidOptionsError(what, `holds ${out.length} values, expected ${length}`);
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * IEEE 754 half-precision bits of a number (round to nearest, ties to even; overflow to infinity).
 * Written by hand: Node 20 has no `Float16Array`, and the conversion is a dozen lines.
 *
 * @param value - the number
 *
 * @example
 * ```ts
 * toFloat16Bits(1); // 0x3c00
 * ```
 */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflows to zero
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry into the exponent: still correct
  return sign | half;
}

/**
 * The number that half-precision bits stand for.
 *
 * @param bits - 16-bit IEEE 754 half
 *
 * @example
 * ```ts
 * fromFloat16Bits(0x3c00); // 1
 * ```
 */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * POW2[exp]!;
}

/** `2 ** (e - 15)` for every half-precision exponent `e` (exact powers of two; a lookup is cheaper than `**`). */
const POW2 = Float64Array.from({ length: 32 }, (_, e) => 2 ** (e - 15));

/**
 * Rounds every value to the nearest half-precision number, in place, so that what is saved as float16 and what
 * is used in memory are the same numbers (a save/load round trip then changes nothing).
 *
 * @param values - the values
 * @returns the same array
 *
 * @example
 * ```ts
 * roundToFloat16(new Float32Array([0.1])); // [0.0999755859375]
 * ```
 */
export function roundToFloat16(values: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++) values[i] = fromFloat16Bits(toFloat16Bits(values[i]!));
  return values;
}

/**
 * A list of equally long vectors in saved state: `dense` stores `count x dim` float16 values; `sparse` stores
 * per vector its number of non-zeros, their positions (uint32) and values (float16). All base64.
 */
export interface EncodedVectors extends JsonObject {
  /** `dense` or `sparse`. */
  format: 'dense' | 'sparse';
  /** Number of vectors. */
  count: number;
  /** Length of each vector. */
  dim: number;
  /** float16 values, base64. */
  values: string;
  /** `sparse` only: non-zeros per vector, uint32, base64. */
  nnz: string;
  /** `sparse` only: positions of the non-zeros, uint32, base64. */
  indices: string;
}

/**
 * Encodes vectors compactly as float16 (sparse when most entries are zero). Values are rounded to float16:
 * pass vectors already rounded with {@link roundToFloat16} for an exact round trip.
 *
 * @param vectors - dense or sparse vectors of length `dim`
 * @param dim - their length
 *
 * @example
 * ```ts
 * const saved = encodeVectors(vectors, 384);
 * const again = decodeVectors(saved); // the same vectors (float16-rounded)
 * ```
 */
export function encodeVectors(vectors: readonly CompactVector[], dim: number): EncodedVectors {
  let nnzTotal = 0;
  for (const v of vectors) nnzTotal += v instanceof Float32Array ? countNonZero(v) : v.indices.length;
  const sparse = nnzTotal < SPARSE_DENSITY * dim * vectors.length;
  if (!sparse) {
    const halves = new Uint16Array(vectors.length * dim);
    vectors.forEach((v, r) => {
      if (v instanceof Float32Array) for (let j = 0; j < dim; j++) halves[r * dim + j] = toFloat16Bits(v[j]!);
      else
        v.indices.forEach((j, k) => {
          halves[r * dim + j] = toFloat16Bits(v.values[k]!);
        });
    });
    return { format: 'dense', count: vectors.length, dim, values: toBase64(halves, 2), nnz: '', indices: '' };
  }
  const nnz = new Uint32Array(vectors.length);
  const indices = new Uint32Array(nnzTotal);
  const halves = new Uint16Array(nnzTotal);
  let at = 0;
  vectors.forEach((v, r) => {
    const start = at;
    if (v instanceof Float32Array) {
      for (let j = 0; j < dim; j++) {
        if (v[j] !== 0) {
          indices[at] = j;
          halves[at++] = toFloat16Bits(v[j]!);
        }
      }
    } else {
      for (let k = 0; k < v.indices.length; k++) {
        indices[at] = v.indices[k]!;
        halves[at++] = toFloat16Bits(v.values[k]!);
      }
    }
    nnz[r] = at - start;
  });
  return {
    format: 'sparse',
    count: vectors.length,
    dim,
    values: toBase64(halves, 2),
    nnz: toBase64(nnz, 4),
    indices: toBase64(indices, 4),
  };
}

function countNonZero(v: Float32Array): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) n++;
  return n;
}

/**
 * Decodes {@link encodeVectors} output: dense vectors as `Float32Array`, sparse ones as {@link SparseVector}.
 *
 * @param value - the saved object
 * @param what - names the field in error messages
 * @throws InvalidOptionsError when the object is malformed
 *
 * @example
 * ```ts
 * const vectors = decodeVectors(state.vectors);
 * ```
 */
export function decodeVectors(value: unknown, what = 'vectors'): CompactVector[] {
  if (typeof value !== 'object' || value === null)
    throw new InvalidOptionsError(what, 'expected an object from encodeVectors()');
  const o = value as Record<string, unknown>;
  const count = o['count'];
  const dim = o['dim'];
  if (!Number.isInteger(count) || (count as number) < 0 || !Number.isInteger(dim) || (dim as number) < 1) {
    throw new InvalidOptionsError(what, 'count and dim must be non-negative integers');
  }
  const n = count as number;
  const d = dim as number;
  const halves = new Uint16Array(fromBase64(o['values'], 2, `${what}.values`));
  if (o['format'] === 'dense') {
    if (halves.length !== n * d)
      throw new InvalidOptionsError(`${what}.values`, `holds ${halves.length} values, expected ${n * d}`);
    const out: Float32Array[] = [];
    for (let r = 0; r < n; r++) {
      const v = new Float32Array(d);
      for (let j = 0; j < d; j++) v[j] = fromFloat16Bits(halves[r * d + j]!);
      out.push(v);
    }
    return out;
  }
  if (o['format'] !== 'sparse')
    throw new InvalidOptionsError(`${what}.format`, 'expected "dense" or "sparse"');
  const nnz = new Uint32Array(fromBase64(o['nnz'], 4, `${what}.nnz`));
  const indices = new Uint32Array(fromBase64(o['indices'], 4, `${what}.indices`));
  if (nnz.length !== n)
    throw new InvalidOptionsError(`${what}.nnz`, `holds ${nnz.length} counts, expected ${n}`);
  let total = 0;
  for (const c of nnz) total += c;
  if (indices.length !== total || halves.length !== total) {
    throw new InvalidOptionsError(
      what,
      `indices (${indices.length}) and values (${halves.length}) must both hold ${total} entries`,
    );
  }
  const out: SparseVector[] = [];
  let at = 0;
  for (let r = 0; r < n; r++) {
    const c = nnz[r]!;
    const idx = new Int32Array(c);
    const val = new Float32Array(c);
    for (let k = 0; k < c; k++, at++) {
      const j = indices[at]!;
      if (j >= d || (k > 0 && j <= idx[k - 1]!)) {
        throw new InvalidOptionsError(
          `${what}.indices`,
          `vector ${r} has positions out of order or beyond ${d}`,
        );
      }
      idx[k] = j;
      val[k] = fromFloat16Bits(halves[at]!);
    }
    out.push({ indices: idx, values: val });
  }
  return out;
}
