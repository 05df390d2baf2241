/**
 * Tensor data of ONNX initializers: element counts, building float tensors, and reading any stored layout
 * (raw bytes in either byte order, typed fields, float16 / bfloat16 bit patterns) back as Float32Array.
 */

import { fromFloat16Bits, toFloat16Bits } from '../ann/vector-codec.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { DataLocation, TensorDataType, type TensorProto } from './onnx-types.js';

/**
 * Number of elements of a tensor with these dims (1 for a scalar).
 *
 * @param dims - the shape
 */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * Builds a tensor of 32-bit floats stored as `raw_data` (a copy of `data`).
 *
 * @param name - tensor name
 * @param dims - shape; the element count must equal `data.length`
 * @param data - values in row-major order
 * @throws InvalidOptionsError when the shape and the data length disagree
 *
 * @example
 * ```ts
 * const t = float32Tensor('w', [2, 2], new Float32Array([1, 0, 0, 1]));
 * ```
 */
export function float32Tensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  return tensorFromFloat32(name, dims, data, TensorDataType.FLOAT);
}

/**
 * Builds a floating-point tensor of the given element type (FLOAT, FLOAT16, BFLOAT16 or DOUBLE) from 32-bit
 * values, rounding to nearest-even for the 16-bit types. Used to write a merged weight back in the dtype the
 * model stores it in.
 *
 * @param name - tensor name
 * @param dims - shape
 * @param data - values in row-major order
 * @param dataType - one of `TensorDataType.FLOAT`, `FLOAT16`, `BFLOAT16`, `DOUBLE`
 */
export function tensorFromFloat32(
  name: string,
  dims: readonly number[],
  data: ArrayLike<number>,
  dataType: number,
): TensorProto {
  const n = elementCount(dims);
  if (n !== data.length) {
    throw new InvalidOptionsError(
      'data',
      `has ${data.length} values for shape [${dims.join(', ')}] (${n} elements)`,
    );
  }
  let raw: Uint8Array;
  if (dataType === TensorDataType.FLOAT) {
    raw = new Uint8Array(Float32Array.from(data).buffer);
  } else if (dataType === TensorDataType.DOUBLE) {
    raw = new Uint8Array(Float64Array.from(data).buffer);
  } else if (dataType === TensorDataType.FLOAT16 || dataType === TensorDataType.BFLOAT16) {
    const u = new Uint16Array(n);
    const conv = dataType === TensorDataType.FLOAT16 ? float32ToFloat16Bits : float32ToBfloat16Bits;
    for (let i = 0; i < n; i++) u[i] = conv(data[i]!);
    raw = new Uint8Array(u.buffer);
  } else {
    throw new InvalidOptionsError(
      'dataType',
      `${dataTypeName(dataType)} is not a floating-point type; use FLOAT, FLOAT16, BFLOAT16 or DOUBLE`,
    );
  }
  if (!LITTLE_ENDIAN) raw = byteSwap(raw, bytesPerElement(dataType));
  return rawTensor(name, dims, dataType, raw);
}

/**
 * A tensor holding `bytes` as `raw_data` (little-endian element bytes, kept as given), for integer and packed
 * types {@link tensorFromFloat32} does not build.
 *
 * @param name - tensor name
 * @param dims - shape
 * @param dataType - a `TensorDataType` code
 * @param bytes - the element bytes
 *
 * @example
 * ```ts
 * const index = rawTensor('cls_index', [], TensorDataType.INT64, new Uint8Array(8)); // the int64 scalar 0
 * ```
 */
export function rawTensor(
  name: string,
  dims: readonly number[],
  dataType: number,
  bytes: Uint8Array,
): TensorProto {
  return {
    dims: [...dims],
    data_type: dataType,
    name,
    raw_data: bytes,
    float_data: [],
    int32_data: [],
    string_data: [],
    int64_data: [],
    external_data: [],
    double_data: [],
    uint64_data: [],
    metadata_props: [],
  };
}

/**
 * The values of a numeric tensor as 32-bit floats (a new array). Reads `raw_data` or the typed fields; converts
 * FLOAT16, BFLOAT16, DOUBLE and the integer types.
 *
 * @param t - the tensor
 * @throws BotlensError with code `ONNX_TENSOR` for external data, strings, complex, 4-bit and 8-bit float
 *   types, or when the stored data does not match the shape
 *
 * @example
 * ```ts
 * const w = tensorToFloat32(findInitializer(graph, 'classifier.weight')!);
 * ```
 */
export function tensorToFloat32(t: TensorProto): Float32Array {
  const name = t.name ?? '<unnamed>';
  if (t.data_location === DataLocation.EXTERNAL) {
    throw new BotlensError(
      'ONNX_TENSOR',
      `Tensor "${name}" is stored in external data: load the model with loadOnnxModel() to read it in.`,
    );
  }
  const type = t.data_type ?? TensorDataType.UNDEFINED;
  const n = elementCount(t.dims);
  const out = new Float32Array(n);
  const width = SUPPORTED_WIDTH[type];
  if (width === undefined) {
    throw new BotlensError(
      'ONNX_TENSOR',
      `Tensor "${name}" has element type ${dataTypeName(type)}, which cannot be read as numbers here.`,
    );
  }
  const raw = t.raw_data;
  if (raw && raw.length > 0) {
    if (raw.length !== n * width) {
      throw new BotlensError(
        'ONNX_TENSOR',
        `Tensor "${name}" holds ${raw.length} bytes for ${n} ${dataTypeName(type)} elements: the file is corrupt.`,
      );
    }
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) out[i] = readElement(dv, i, type);
    return out;
  }
  const field = typedField(t, type);
  if (field.length !== n) {
    throw new BotlensError(
      'ONNX_TENSOR',
      `Tensor "${name}" holds ${field.length} values for shape [${t.dims.join(', ')}]: the file is corrupt.`,
    );
  }
  if (type === TensorDataType.FLOAT16)
    for (let i = 0; i < n; i++) out[i] = float16BitsToFloat32(field[i]! & 0xffff);
  else if (type === TensorDataType.BFLOAT16)
    for (let i = 0; i < n; i++) out[i] = bfloat16BitsToFloat32(field[i]! & 0xffff);
  else for (let i = 0; i < n; i++) out[i] = field[i]!;
  return out;
}

/**
 * The name of an element type code, e.g. `FLOAT16` for 10.
 *
 * @param code - a {@link TensorDataType} value
 */
function dataTypeName(code: number): string {
  for (const [k, v] of Object.entries(TensorDataType)) if (v === code) return k;
  return `type ${code}`;
}

/**
 * Bytes per element of a fixed-width type, or `undefined` for STRING and sub-byte types.
 *
 * @param code - a {@link TensorDataType} value
 */
function bytesPerElement(code: number): number | undefined {
  return BYTE_WIDTH[code];
}

const BYTE_WIDTH: Record<number, number> = {
  [TensorDataType.FLOAT]: 4,
  [TensorDataType.UINT8]: 1,
  [TensorDataType.INT8]: 1,
  [TensorDataType.UINT16]: 2,
  [TensorDataType.INT16]: 2,
  [TensorDataType.INT32]: 4,
  [TensorDataType.INT64]: 8,
  [TensorDataType.BOOL]: 1,
  [TensorDataType.FLOAT16]: 2,
  [TensorDataType.DOUBLE]: 8,
  [TensorDataType.UINT32]: 4,
  [TensorDataType.UINT64]: 8,
  [TensorDataType.COMPLEX64]: 8,
  [TensorDataType.COMPLEX128]: 16,
  [TensorDataType.BFLOAT16]: 2,
  [TensorDataType.FLOAT8E4M3FN]: 1,
  [TensorDataType.FLOAT8E4M3FNUZ]: 1,
  [TensorDataType.FLOAT8E5M2]: 1,
  [TensorDataType.FLOAT8E5M2FNUZ]: 1,
  [TensorDataType.FLOAT8E8M0]: 1,
};

/** Types tensorToFloat32 reads, with their byte width. */
const SUPPORTED_WIDTH: Record<number, number> = Object.fromEntries(
  [
    TensorDataType.FLOAT,
    TensorDataType.UINT8,
    TensorDataType.INT8,
    TensorDataType.UINT16,
    TensorDataType.INT16,
    TensorDataType.INT32,
    TensorDataType.INT64,
    TensorDataType.BOOL,
    TensorDataType.FLOAT16,
    TensorDataType.DOUBLE,
    TensorDataType.UINT32,
    TensorDataType.UINT64,
    TensorDataType.BFLOAT16,
  ].map((t) => [t, BYTE_WIDTH[t]!]),
);

function readElement(dv: DataView, i: number, type: number): number {
  switch (type) {
    case TensorDataType.FLOAT:
      return dv.getFloat32(i * 4, true);
    case TensorDataType.UINT8:
    case TensorDataType.BOOL:
      return dv.getUint8(i);
    case TensorDataType.INT8:
      return dv.getInt8(i);
    case TensorDataType.UINT16:
      return dv.getUint16(i * 2, true);
    case TensorDataType.INT16:
      return dv.getInt16(i * 2, true);
    case TensorDataType.INT32:
      return dv.getInt32(i * 4, true);
    case TensorDataType.INT64:
      return Number(dv.getBigInt64(i * 8, true));
    case TensorDataType.UINT32:
      return dv.getUint32(i * 4, true);
    case TensorDataType.UINT64:
      return Number(dv.getBigUint64(i * 8, true));
    case TensorDataType.FLOAT16:
      return float16BitsToFloat32(dv.getUint16(i * 2, true));
    case TensorDataType.BFLOAT16:
      return bfloat16BitsToFloat32(dv.getUint16(i * 2, true));
    case TensorDataType.DOUBLE:
      return dv.getFloat64(i * 8, true);
    default:
      return Number.NaN;
  }
}

function typedField(t: TensorProto, type: number): number[] {
  switch (type) {
    case TensorDataType.FLOAT:
      return t.float_data;
    case TensorDataType.INT64:
      return t.int64_data;
    case TensorDataType.DOUBLE:
      return t.double_data;
    case TensorDataType.UINT32:
    case TensorDataType.UINT64:
      return t.uint64_data;
    default:
      return t.int32_data;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function byteSwap(bytes: Uint8Array, width: number | undefined): Uint8Array {
  if (!width || width === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width)
    for (let k = 0; k < width; k++) out[i + k] = bytes[i + width - 1 - k]!;
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Decodes IEEE 754 half-precision bits (the one conversion botlens has, shared with the vector codec).
 *
 * @param h - the 16 bits
 */
export const float16BitsToFloat32: (h: number) => number = fromFloat16Bits;

/**
 * Encodes a number as IEEE 754 half-precision bits, rounding to nearest-even (overflow gives infinity); the one
 * conversion botlens has, shared with the vector codec.
 *
 * @param v - the value
 */
export const float32ToFloat16Bits: (v: number) => number = toFloat16Bits;

/**
 * Decodes bfloat16 bits (the top half of a float32).
 *
 * @param b - the 16 bits
 */
export function bfloat16BitsToFloat32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/**
 * Encodes a number as bfloat16 bits, rounding to nearest-even.
 *
 * @param v - the value
 */
export function float32ToBfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

// The ONNX protobuf types, all of them.
