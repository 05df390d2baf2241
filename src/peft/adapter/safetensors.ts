import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AdapterError } from '../../errors/adapter-error.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { bfloat16BitsToFloat32, float16BitsToFloat32 } from '../../onnx/onnx-tensor.js';

/** A tensor read from a safetensors file, converted to 32-bit floats. */
export interface SafeTensor {
  /** The dtype stored in the file: `F32`, `F16`, `BF16` or `F64`. */
  dtype: string;
  /** The shape. */
  shape: number[];
  /** The values, row-major, as float32. */
  data: Float32Array;
}

/** The tensors of a safetensors file by name, and its `__metadata__`. */
export interface SafetensorsFile {
  /** Tensors by name. */
  tensors: Map<string, SafeTensor>;
  /** The string-to-string metadata of the header (e.g. `{ format: 'pt' }`). */
  metadata: Record<string, string>;
}

const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
const KNOWN_OTHER = new Set([
  'I64',
  'I32',
  'I16',
  'I8',
  'U8',
  'U16',
  'U32',
  'U64',
  'BOOL',
  'F8_E4M3',
  'F8_E5M2',
  'E8M0',
]);
/** Largest header the format allows (100 MB, as in the reference implementation). */
const MAX_HEADER = 100_000_000;

/**
 * Parses a safetensors file (8-byte little-endian header length, a JSON header, then the tensor bytes).
 * The format is simple enough to read here directly; this avoids a native dependency. Floating-point tensors
 * (F32, F16, BF16, F64) are converted to float32; other dtypes are an error naming the tensor.
 *
 * @param bytes - the file contents
 * @param source - a name for error messages
 * @throws AdapterError (`ADAPTER_INVALID`) for a malformed file, naming the problem
 *
 * @example
 * ```ts
 * const { tensors } = parseSafetensors(await readFile('adapter_model.safetensors'));
 * tensors.get('base_model.model.classifier.bias')?.shape; // [2]
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, source = '<safetensors>'): SafetensorsFile {
  const bad = (why: string): never => {
    throw new AdapterError('ADAPTER_INVALID', `${source} is not a valid safetensors file: ${why}.`);
  };
  if (bytes.length < 8) bad('it is shorter than its 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length)
    bad(`its header length ${headerLen} exceeds the file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    bad('its header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    bad('its header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info === 'object' && info !== null) metadata = { ...(info as Record<string, string>) };
      continue;
    }
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t?.dtype !== 'string' || !Array.isArray(t.shape) || !Array.isArray(t.data_offsets)) {
      bad(`tensor "${name}" lacks dtype, shape or data_offsets`);
    }
    const dtype = t.dtype as string;
    const shape = t.shape as number[];
    const [begin, end] = t.data_offsets as number[];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor "${name}" has an invalid shape`);
    if (
      !(Number.isInteger(begin) && Number.isInteger(end) && begin! >= 0 && begin! <= end! && end! <= dataLen)
    ) {
      bad(`tensor "${name}" has data offsets outside the file`);
    }
    const width = DTYPE_BYTES[dtype];
    if (width === undefined) {
      throw new AdapterError(
        'ADAPTER_UNSUPPORTED',
        KNOWN_OTHER.has(dtype)
          ? `Tensor "${name}" in ${source} is ${dtype}; only floating-point tensors (F32, F16, BF16, F64) can be read.`
          : `Tensor "${name}" in ${source} has unknown dtype "${dtype}".`,
      );
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (n * width !== end! - begin!)
      bad(`tensor "${name}" has ${end! - begin!} bytes for shape [${shape.join(', ')}] ${dtype}`);
    const data = new Float32Array(n);
    const off = dataStart + begin!;
    if (dtype === 'F32') for (let i = 0; i < n; i++) data[i] = dv.getFloat32(off + 4 * i, true);
    else if (dtype === 'F64') for (let i = 0; i < n; i++) data[i] = dv.getFloat64(off + 8 * i, true);
    else if (dtype === 'F16')
      for (let i = 0; i < n; i++) data[i] = float16BitsToFloat32(dv.getUint16(off + 2 * i, true));
    else for (let i = 0; i < n; i++) data[i] = bfloat16BitsToFloat32(dv.getUint16(off + 2 * i, true));
    tensors.set(name, { dtype, shape: [...shape], data });
  }
  return { tensors, metadata };
}

/**
 * Reads and parses a safetensors file; see {@link parseSafetensors}.
 *
 * @param path - the `.safetensors` file
 * @throws AdapterError (`ADAPTER_INVALID`) when it is missing or malformed
 */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new AdapterError(
      'ADAPTER_INVALID',
      `Cannot read ${path}: the adapter folder needs adapter_model.safetensors.`,
      {
        cause,
      },
    );
  }
  return parseSafetensors(bytes, path);
}

/** A float32 tensor to write with {@link encodeSafetensors}. */
export interface TensorToWrite {
  /** The shape; its element count must equal `data.length`. */
  shape: readonly number[];
  /** The values, row-major. */
  data: ArrayLike<number>;
}

/**
 * Encodes float32 tensors as a safetensors file (tensors in name order, header padded with spaces to 8 bytes,
 * as the reference implementation does), readable by `safetensors.torch.load_file` and so by PEFT.
 *
 * @param tensors - tensors by name
 * @param metadata - header metadata; PEFT writes `{ format: 'pt' }`
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ 'w': { shape: [2], data: [1, 2] } }, { format: 'pt' });
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new AdapterError(
        'ADAPTER_INVALID',
        `Tensor "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}].`,
      );
    }
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name]!.data;
    for (let i = 0; i < d.length; i++, pos += 4) dv.setFloat32(pos, d[i]!, true);
  }
  return out;
}

/**
 * Writes tensors as a safetensors file, creating the folder; see {@link encodeSafetensors}.
 *
 * @param path - the file to write
 * @param tensors - tensors by name
 * @param metadata - header metadata
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
