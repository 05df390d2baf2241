import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, normalize, resolve, sep } from 'node:path';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { MissingDependencyError } from '../errors/missing-dependency-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { onnxModelType } from './onnx-proto.js';
import { DataLocation, type GraphProto, type ModelProto, type TensorProto } from './onnx-types.js';

/** Largest message protobuf (and so ONNX Runtime) accepts in one file: 2 GiB. */
const MAX_PROTO_BYTES = 2 ** 31 - 1;

const TO_OBJECT = { longs: Number, enums: Number, arrays: true, defaults: false } as const;

/**
 * Decodes the bytes of an `.onnx` file. Tensors stored as external data keep their `external_data` entries
 * (use {@link loadOnnxModel} to read those files in). `raw_data` fields are views of `bytes`, not copies.
 *
 * @param bytes - the file contents
 * @throws ModelLoadError when the bytes are not an ONNX model
 * @throws MissingDependencyError when protobufjs (an optional peer dependency) is not installed
 *
 * @example
 * ```ts
 * const model = await decodeOnnxModel(await readFile('onnx/model.onnx'));
 * model.graph?.node.length; // number of nodes
 * ```
 */
export async function decodeOnnxModel(bytes: Uint8Array): Promise<ModelProto> {
  const T = await onnxModelType();
  let obj: ModelProto;
  try {
    obj = T.toObject(T.decode(bytes), TO_OBJECT) as ModelProto;
  } catch (cause) {
    throw new ModelLoadError('<bytes>', 'The bytes are not a valid ONNX model (protobuf decoding failed).', {
      cause,
    });
  }
  if (!obj.graph || obj.ir_version === undefined) {
    throw new ModelLoadError(
      '<bytes>',
      'The bytes decode but hold no ONNX graph or IR version: not an ONNX model.',
    );
  }
  return obj;
}

/**
 * Encodes a model as `.onnx` bytes. Models over 2 GiB cannot be stored in one protobuf file.
 *
 * @param model - a model from {@link decodeOnnxModel} (possibly edited)
 * @throws BotlensError with code `ONNX_TOO_LARGE` when the result would exceed 2 GiB
 * @throws MissingDependencyError when protobufjs (an optional peer dependency) is not installed
 *
 * @example
 * ```ts
 * const bytes = await encodeOnnxModel(model);
 * ```
 */
export async function encodeOnnxModel(model: ModelProto): Promise<Uint8Array> {
  let size = 0;
  for (const t of model.graph?.initializer ?? []) size += t.raw_data?.length ?? 0;
  if (size > MAX_PROTO_BYTES) {
    throw new BotlensError(
      'ONNX_TOO_LARGE',
      `The model's weights take ${size} bytes, over the 2 GiB limit of one ONNX file; external-data output is not supported.`,
    );
  }
  const T = await onnxModelType();
  // fromObject turns numbers back into 64-bit integers (saturating at the int64 limits) before encoding.
  return T.encode(T.fromObject(model as unknown as Record<string, unknown>)).finish();
}

/** Options for {@link loadOnnxModel}. */
export interface LoadOnnxOptions {
  /**
   * What to do with tensors stored in external data files: `inline` reads them into `raw_data` (files must lie
   * inside the model's folder), `error` refuses the model.
   * @defaultValue 'inline'
   */
  externalData?: 'inline' | 'error';
}

/**
 * Reads and decodes an `.onnx` file. Tensors kept in external data files (large models) are read in so the
 * result is self-contained, unless `externalData: 'error'`.
 *
 * @param path - the `.onnx` file
 * @param options - see {@link LoadOnnxOptions}
 * @throws ModelLoadError naming the file when it is missing, unreadable or not ONNX
 * @throws MissingDependencyError when protobufjs (an optional peer dependency) is not installed
 *
 * @example
 * ```ts
 * const model = await loadOnnxModel('models/tiny-bert-cls/onnx/model.onnx');
 * ```
 */
export async function loadOnnxModel(path: string, options: LoadOnnxOptions = {}): Promise<ModelProto> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new ModelLoadError(
      path,
      `Cannot read ONNX file ${path}${code ? ` (${code})` : ''}: check the path.`,
      {
        file: path,
        cause,
      },
    );
  }
  let model: ModelProto;
  try {
    model = await decodeOnnxModel(bytes);
  } catch (cause) {
    if (MissingDependencyError.isInstance(cause)) throw cause;
    throw new ModelLoadError(
      path,
      `${path} is not a valid ONNX model: re-export it or check the file is complete.`,
      {
        file: path,
        cause,
      },
    );
  }
  const external = (model.graph?.initializer ?? []).filter((t) => t.data_location === DataLocation.EXTERNAL);
  if (external.length > 0) {
    if ((options.externalData ?? 'inline') === 'error') {
      throw new ModelLoadError(
        path,
        `${path} keeps ${external.length} tensor(s) in external data files (e.g. "${external[0]!.name}"), which this call refuses: pass externalData: 'inline'.`,
        { file: path },
      );
    }
    await inlineExternalData(path, external);
  }
  return model;
}

async function inlineExternalData(modelPath: string, tensors: TensorProto[]): Promise<void> {
  const dir = resolve(dirname(modelPath));
  const files = new Map<string, Uint8Array>();
  for (const t of tensors) {
    const info = new Map(t.external_data.map((e) => [e.key ?? '', e.value ?? '']));
    const location = info.get('location');
    if (
      !location ||
      isAbsolute(location) ||
      normalize(location).startsWith(`..${sep}`) ||
      normalize(location) === '..'
    ) {
      throw new ModelLoadError(
        modelPath,
        `Tensor "${t.name}" has an invalid external data location "${location}".`,
        {
          file: modelPath,
        },
      );
    }
    const file = resolve(dir, location);
    let data = files.get(file);
    if (!data) {
      try {
        data = await readFile(file);
      } catch (cause) {
        throw new ModelLoadError(
          modelPath,
          `Cannot read external data file ${file} of tensor "${t.name}": keep it beside the .onnx file.`,
          { file, cause },
        );
      }
      files.set(file, data);
    }
    const offset = Number(info.get('offset') ?? '0');
    const length = info.has('length') ? Number(info.get('length')) : data.length - offset;
    if (!(offset >= 0 && length >= 0 && offset + length <= data.length)) {
      throw new ModelLoadError(
        modelPath,
        `External data of tensor "${t.name}" lies outside ${file}: the file is truncated.`,
        {
          file,
        },
      );
    }
    t.raw_data = data.subarray(offset, offset + length);
    t.external_data = [];
    delete t.data_location;
  }
}

/**
 * Encodes a model and writes it to `path`, creating the folder.
 *
 * @param model - the model
 * @param path - the `.onnx` file to write
 * @throws MissingDependencyError when protobufjs (an optional peer dependency) is not installed
 *
 * @example
 * ```ts
 * await saveOnnxModel(model, 'out/onnx/model.onnx');
 * ```
 */
export async function saveOnnxModel(model: ModelProto, path: string): Promise<void> {
  const bytes = await encodeOnnxModel(model);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, bytes);
}

/**
 * The initializer called `name`, if any.
 *
 * @param graph - the graph to search
 * @param name - the initializer's name
 *
 * @example
 * ```ts
 * const w = findInitializer(model.graph!, 'classifier.weight');
 * ```
 */
export function findInitializer(graph: GraphProto, name: string): TensorProto | undefined {
  return graph.initializer.find((t) => t.name === name);
}

/**
 * Replaces the initializer that has `tensor.name` with `tensor` (same position in the list).
 *
 * @param graph - the graph to edit in place
 * @param tensor - the new tensor; its `name` picks the initializer to replace
 * @throws InvalidOptionsError when no initializer has that name
 *
 * @example
 * ```ts
 * replaceInitializer(graph, float32Tensor('classifier.bias', [2], new Float32Array([0.1, -0.1])));
 * ```
 */
export function replaceInitializer(graph: GraphProto, tensor: TensorProto): void {
  const i = graph.initializer.findIndex((t) => t.name === tensor.name);
  if (i < 0) {
    throw new InvalidOptionsError(
      'tensor.name',
      `the graph has no initializer named "${tensor.name}" to replace`,
    );
  }
  graph.initializer[i] = tensor;
}
