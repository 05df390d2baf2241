import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { importOptional } from '../core/optional-import.js';
import type { GraphProto, ValueInfoProto } from '../onnx/onnx-types.js';
import { TensorDataType } from '../onnx/onnx-types.js';

/** The outcome of {@link compareModels}. */
export interface VerifyResult {
  /** True when ONNX Runtime created a session from the quantized model. */
  loads: boolean;
  /**
   * Smallest cosine similarity between matching float outputs of the two models on synthetic inputs,
   * or `undefined` when no comparison could be made (see `note`).
   */
  cosine: number | undefined;
  /** Largest absolute difference between the two models' float outputs, when compared. */
  maxAbsDiff?: number | undefined;
  /** Why the comparison was skipped or failed, when it was. */
  note: string | undefined;
}

type Ort = typeof import('onnxruntime-node');
/** One model input given as plain data (turned into an ONNX Runtime tensor when the models run). */
export interface SyntheticInput {
  /** The ONNX element type. */
  type: 'int64' | 'int32' | 'float32' | 'bool';
  /** The values, row-major. */
  data: BigInt64Array | Int32Array | Float32Array | Uint8Array;
  /** The shape. */
  dims: number[];
}

let ortPromise: Promise<Ort> | undefined;

/** Lazily imports onnxruntime-node (kept out of the import graph of `botlens/quant` until needed). */
function loadOrt(): Promise<Ort> {
  ortPromise ??= importOptional(
    'onnxruntime-node',
    'Checking quantized and optimized models',
    () => import('onnxruntime-node'),
  );
  return ortPromise;
}

/** Token ids to put first (`bos`) and last (`eos`) in synthetic sequences, e.g. from `config.json`. */
export interface SpecialTokens {
  /**
   * Id placed at the start of every synthetic sequence.
   * @defaultValue undefined (none)
   */
  bos?: number;
  /**
   * Id placed at the end of every synthetic sequence (sequence classifiers such as BART pool on it).
   * @defaultValue undefined (none)
   */
  eos?: number;
}

/** Rows of the embedding table an integer input indexes, when a `Gather` reads it directly. */
function tableRows(graph: GraphProto, input: string): number | undefined {
  for (const n of graph.node) {
    if (n.op_type === 'Gather' && n.input[1] === input) {
      const t = graph.initializer.find((x) => x.name === n.input[0]);
      if (t?.dims[0]) return t.dims[0];
    }
  }
  return undefined;
}

/**
 * Deterministic synthetic inputs for a text or image model's graph inputs: token ids inside the embedding
 * table, an all-ones attention mask, zero token types, pseudo-random pixels. Batch 2, sequence 8 for
 * symbolic dimensions. Returns `undefined` for inputs it cannot fill (e.g. past key/values of a decoder).
 *
 * @param graph - the float model's graph
 * @param special - ids to put first and last in each sequence
 */
export function syntheticInputs(
  graph: GraphProto,
  special: SpecialTokens = {},
): Record<string, SyntheticInput> | undefined {
  const initNames = new Set(graph.initializer.map((t) => t.name));
  const feeds: Record<string, SyntheticInput> = {};
  for (const vi of graph.input) {
    const name = vi.name ?? '';
    if (initNames.has(name)) continue; // old-style graphs list initializers as inputs
    const fed = fill(graph, vi, special);
    if (!fed) return undefined;
    feeds[name] = fed;
  }
  return feeds;
}

function fill(graph: GraphProto, vi: ValueInfoProto, special: SpecialTokens): SyntheticInput | undefined {
  const name = (vi.name ?? '').toLowerCase();
  const tt = vi.type?.tensor_type;
  if (!tt?.shape || /past|present|cache/.test(name)) return undefined;
  const dims = tt.shape.dim.map((d, i) => (d.dim_value && d.dim_value > 0 ? d.dim_value : i === 0 ? 2 : 8));
  const n = dims.reduce((a, b) => a * b, 1);
  const seq = dims[dims.length - 1] ?? 1;
  switch (tt.elem_type) {
    case TensorDataType.INT64:
    case TensorDataType.INT32: {
      const vals = new Array<number>(n);
      const rows = tableRows(graph, vi.name ?? '') ?? 2;
      for (let i = 0; i < n; i++) {
        if (name.includes('mask')) vals[i] = 1;
        else if (name.includes('token_type')) vals[i] = 0;
        else if (name.includes('position')) vals[i] = i % seq;
        else if (special.bos !== undefined && i % seq === 0) vals[i] = special.bos;
        else if (special.eos !== undefined && i % seq === seq - 1) vals[i] = special.eos;
        else vals[i] = rows > 8 ? 5 + ((i * 7919 + 13) % (rows - 5)) : i % rows;
      }
      return tt.elem_type === TensorDataType.INT64
        ? { type: 'int64', data: BigInt64Array.from(vals, (v) => BigInt(v)), dims }
        : { type: 'int32', data: Int32Array.from(vals), dims };
    }
    case TensorDataType.FLOAT: {
      const data = new Float32Array(n);
      let s = 12345;
      for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        data[i] = (s / 2 ** 32) * 2 - 1;
      }
      return { type: 'float32', data, dims };
    }
    case TensorDataType.BOOL:
      return { type: 'bool', data: new Uint8Array(n).fill(1), dims };
    default:
      return undefined;
  }
}

/**
 * Cosine similarity of two float vectors (1 when both are zero).
 *
 * @param a - first vector
 * @param b - second vector, same length
 *
 * @example
 * ```ts
 * cosineSimilarity([1, 0], [1, 0]); // 1
 * ```
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 && nb === 0) return 1;
  return dot / Math.sqrt(na * nb);
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (!(d <= m)) m = d; // NaN counts as the largest difference
  }
  return m;
}

function toTensors(ort: Ort, feeds: Record<string, SyntheticInput>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) out[k] = new ort.Tensor(v.type, v.data, v.dims);
  return out;
}

async function release(s: InferenceSession | undefined): Promise<void> {
  try {
    await s?.release();
  } catch {
    // nothing to do: the session is gone either way
  }
}

/** Options for {@link compareModels}. */
export interface CompareOptions {
  /**
   * The float model's graph, to build synthetic inputs from (token ids within its embedding table, a mask, ...).
   * Without it (and without `feeds`) only loading is checked.
   * @defaultValue undefined
   */
  graph?: GraphProto;
  /**
   * Inputs to run both models on, instead of synthetic ones.
   * @defaultValue built from `graph`
   */
  feeds?: Record<string, SyntheticInput>;
  /**
   * bos/eos ids for the synthetic sequences (BART-style classifiers pool on the eos token).
   * @defaultValue {}
   */
  special?: SpecialTokens;
}

/**
 * Checks a quantized model against its float original with ONNX Runtime: the quantized model must load, and
 * on synthetic inputs its float outputs are compared with the original's by cosine similarity.
 *
 * @param float - the float model: its `.onnx` path (external data files beside it are found) or bytes
 * @param quantized - the quantized `.onnx` bytes
 * @param options - the float graph (for synthetic inputs) or explicit feeds
 * @returns whether it loads and the smallest output cosine
 *
 * @example
 * ```ts
 * const model = await loadOnnxModel('onnx/model.onnx');
 * const graph = structuredClone(model.graph!);
 * quantizeOnnxModel(model, { bits: 8 });
 * const v = await compareModels('onnx/model.onnx', encodeOnnxModel(model), { graph });
 * if (!v.loads) throw new Error(v.note);
 * ```
 */
export async function compareModels(
  float: string | Uint8Array,
  quantized: Uint8Array,
  options: CompareOptions = {},
): Promise<VerifyResult> {
  const ort = await loadOrt();
  // Severity 4 (fatal only): errors still come back as exceptions but are not printed.
  const opts: InferenceSession.SessionOptions = {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 4,
  };
  let q: InferenceSession | undefined;
  let f: InferenceSession | undefined;
  try {
    try {
      q = await ort.InferenceSession.create(quantized, opts);
    } catch (err) {
      return {
        loads: false,
        cosine: undefined,
        note: `ONNX Runtime cannot load the quantized model: ${(err as Error).message}`,
      };
    }
    const feeds =
      options.feeds ?? (options.graph ? syntheticInputs(options.graph, options.special ?? {}) : undefined);
    if (!feeds)
      return {
        loads: true,
        cosine: undefined,
        note: 'no synthetic inputs for this model: only checked that it loads',
      };
    let ref: InferenceSession.OnnxValueMapType;
    try {
      f =
        typeof float === 'string'
          ? await ort.InferenceSession.create(float, opts)
          : await ort.InferenceSession.create(float, opts);
      ref = await f.run(toTensors(ort, feeds));
    } catch (err) {
      return {
        loads: true,
        cosine: undefined,
        note: `the float model does not run on synthetic inputs (${(err as Error).message.split('\n')[0]}): only checked that the quantized one loads`,
      };
    }
    let got: InferenceSession.OnnxValueMapType;
    try {
      got = await q.run(toTensors(ort, feeds));
    } catch (err) {
      return {
        loads: true,
        cosine: undefined,
        note: `the quantized model fails where the float one runs: ${(err as Error).message}`,
      };
    }
    let cosine: number | undefined;
    let maxAbsDiff: number | undefined;
    for (const [name, t] of Object.entries(ref)) {
      const other = got[name];
      if (t.type !== 'float32' || !other || other.type !== 'float32') continue;
      const c = cosineSimilarity(t.data as Float32Array, other.data as Float32Array);
      cosine = cosine === undefined ? c : Math.min(cosine, c);
      maxAbsDiff = Math.max(
        maxAbsDiff ?? 0,
        largestDifference(t.data as Float32Array, other.data as Float32Array),
      );
    }
    return {
      loads: true,
      cosine,
      maxAbsDiff,
      note: cosine === undefined ? 'the model has no float outputs to compare' : undefined,
    };
  } finally {
    await release(q);
    await release(f);
  }
}
