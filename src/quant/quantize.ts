import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { describeValue } from '../core/describe-value.js';
import { DTYPE_FILE_SUFFIXES, type QuantizedDtype, VARIANT_SUFFIXES } from '../core/model-dtypes.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { encodeOnnxModel, loadOnnxModel } from '../onnx/onnx-model.js';
import { hostInt8Range, resolveReduceRange } from './cpu-int8.js';
import { type ExcludePattern, refuseUnmatchedExcludes, unmatchedExcludes } from './exclude-names.js';
import { findLinearSites } from './linear-sites.js';
import { quantizeOnnxModel } from './quantize-model.js';
import type { ModelQuantizeReport, QuantizeOptions, ReduceRangeChoice } from './quantize-options.js';
import { compareModels, type SpecialTokens, syntheticInputs } from './verify.js';
import { writeOutputFile } from './write-output.js';

/** What happened to one `.onnx` file. */
export interface QuantizedFile {
  /** The float model read. */
  source: string;
  /** The quantized model written, or `undefined` when nothing was written. */
  output: string | undefined;
  /** The layer-level report. */
  report: ModelQuantizeReport;
  /** Size of the source file in bytes. */
  bytesIn: number;
  /** Size of the written file in bytes (0 when nothing was written). */
  bytesOut: number;
  /** Smallest output cosine to float32 on synthetic inputs, when verified. */
  cosine: number | undefined;
  /** A note from verification (why there is no cosine), if any. */
  verifyNote: string | undefined;
}

/** What {@link quantize} did. */
export interface QuantizeResult {
  /** The transformers.js `dtype` that now loads the written files. */
  dtype: QuantizedDtype;
  /** One entry per float model considered. */
  files: QuantizedFile[];
  /** Every warning raised. */
  warnings: string[];
  /**
   * 8-bit: whether the int8 weights use 7 bits (`reduceRange`) and why (the CPU check of `'auto'`, or the
   * caller's choice); `undefined` for 4-bit.
   */
  reduceRange: ReduceRangeChoice | undefined;
}

/**
 * The file name transformers.js loads for `dtype` from a float model's file name
 * (`model.onnx` → `model_quantized.onnx` for `q8`, `model_q4.onnx` for `q4`).
 *
 * @param floatFile - e.g. `model.onnx`, `text_model.onnx`
 * @param dtype - `q8` or `q4`
 *
 * @example
 * ```ts
 * quantizedFileName('vision_model.onnx', 'q4'); // 'vision_model_q4.onnx'
 * ```
 */
export function quantizedFileName(floatFile: string, dtype: QuantizedDtype): string {
  const stem = floatFile.replace(/\.onnx$/, '');
  return `${stem}${DTYPE_FILE_SUFFIXES[dtype]}.onnx`;
}

/**
 * True when `file` is a float model in transformers.js naming (an `.onnx` name with no dtype suffix).
 *
 * @param file - a file name
 */
export function isFloatModelFile(file: string): boolean {
  if (!file.endsWith('.onnx')) return false;
  const stem = file.slice(0, -'.onnx'.length);
  return !VARIANT_SUFFIXES.some((s) => stem.endsWith(s));
}

function defaultWarn(message: string): void {
  console.warn(`[botlens quantize] ${message}`);
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** bos/eos ids from config.json (top level or text_config), for synthetic verification inputs. */
async function readSpecialTokens(modelDir: string): Promise<SpecialTokens> {
  try {
    const cfg = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const text = (cfg['text_config'] ?? {}) as Record<string, unknown>;
    const pick = (k: string) => {
      const v = cfg[k] ?? text[k];
      return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    };
    const out: SpecialTokens = {};
    const bos = pick('bos_token_id');
    const eos = pick('eos_token_id');
    if (bos !== undefined) out.bos = bos;
    if (eos !== undefined) out.eos = eos;
    return out;
  } catch {
    return {};
  }
}

const QUANTIZE_OPTION_KEYS: OptionKeys<QuantizeOptions> = {
  bits: true,
  blockSize: true,
  symmetric: true,
  perChannel: true,
  exclude: true,
  quantizeHead: true,
  quantizeEmbeddings: true,
  accuracyLevel: true,
  reduceRange: true,
  signal: true,
  files: true,
  overwrite: true,
  verify: true,
  minCosine: true,
  onWarning: true,
  int8Format: true,
};

/**
 * The `exclude` entries that apply to each of several model files, refusing entries that match no layer of any
 * of them: a name may belong to one file of a folder (`text_model.onnx` but not `vision_model.onnx`), so each
 * file gets the entries that match it. Reads each model once more; with one file (or no entries) it reads
 * nothing and `quantizeOnnxModel` checks the entries itself.
 *
 * @param sources - the model files, in order
 * @param options - the quantize options
 * @returns one list per file, or an empty array when there is nothing to check here
 * @throws InvalidOptionsError (`exclude`) naming the entries that match no layer and the nearest names
 */
async function excludesPerFile(
  sources: readonly string[],
  options: QuantizeOptions,
): Promise<ExcludePattern[][]> {
  const exclude = options.exclude ?? [];
  if (sources.length < 2 || exclude.length === 0) return [];
  const foldBias = options.bits === 4 || options.int8Format === 'dynamic-matmul';
  const perFile: ExcludePattern[][] = [];
  const names: string[] = [];
  const matched = new Set<ExcludePattern>();
  for (const src of sources) {
    AbortedError.throwIfAborted(options.signal, 'quantize');
    const graph = (await loadOnnxModel(src)).graph;
    if (!graph) {
      perFile.push([]);
      continue;
    }
    const scan = unmatchedExcludes(graph, findLinearSites(graph, { foldBias }).sites, exclude);
    const here = exclude.filter((p) => !scan.unmatched.includes(p));
    for (const p of here) matched.add(p);
    perFile.push(here);
    names.push(...scan.names);
  }
  refuseUnmatchedExcludes(
    exclude.filter((p) => !matched.has(p)),
    names,
    `${sources.map((s) => basename(s)).join(', ')}`,
  );
  return perFile;
}

/**
 * Quantizes the ONNX models of a transformers.js model folder and writes each next to its float original under
 * the name transformers.js expects: `onnx/model_quantized.onnx` for `bits: 8` (`dtype: 'q8'`),
 * `onnx/model_q4.onnx` for `bits: 4` (`dtype: 'q4'`); `text_model.onnx` gives `text_model_quantized.onnx`, etc.
 *
 * 8-bit is dynamic quantization (int8 weights per output channel, activations quantized on the fly, the
 * `DynamicQuantizeLinear -> MatMulInteger` pattern ONNX Runtime fuses; 7-bit weights on CPUs without VNNI,
 * see {@link QuantizeOptions.reduceRange}); 4-bit is block-wise weights with
 * per-block scales through ONNX Runtime's `MatMulNBits`. Embedding tables and output heads stay float32 unless
 * asked. A model that already is quantized is left alone with a warning; unknown operators are kept as they are.
 * Each output is checked in ONNX Runtime before it is written (and written atomically), so a failed run never
 * leaves a broken file.
 *
 * @param modelDir - folder with `config.json` and `onnx/model.onnx` (the transformers.js layout)
 * @param options - `bits` and the rest of {@link QuantizeOptions}
 * @returns what was written, with sizes and output cosines
 * @throws ModelLoadError when the folder or a model is missing or unreadable; InvalidOptionsError on bad
 *   options, and (`exclude`) when an `exclude` entry matches no layer of any model quantized (nothing is written;
 *   the message lists the nearest names); BotlensError `QUANT_OUTPUT_EXISTS` when an output exists and `overwrite` is not set;
 *   BotlensError `QUANT_BROKEN` when ONNX Runtime cannot load a result; AbortedError when `signal` fires
 * @throws MissingDependencyError naming `npm install protobufjs` when that optional peer dependency is not installed
 *
 * @example
 * ```ts
 * import { quantize } from 'botlens/quant';
 * const res = await quantize('models/minilm', { bits: 8 });
 * // then: acquireModel('feature-extraction', { model: 'models/minilm', dtype: 'q8' })
 * for (const f of res.files) console.log(f.output, f.bytesIn, '->', f.bytesOut, 'cosine', f.cosine);
 * ```
 */
export async function quantize(modelDir: string, options: QuantizeOptions): Promise<QuantizeResult> {
  refuseUnknownKeys(options, QUANTIZE_OPTION_KEYS, 'the options of quantize()');
  if (typeof modelDir !== 'string' || modelDir === '') {
    throw new InvalidOptionsError('modelDir', 'expected the path of a model folder (with onnx/model.onnx)');
  }
  if (options.minCosine !== undefined && !(options.minCosine >= -1 && options.minCosine <= 1)) {
    throw new InvalidOptionsError(
      'minCosine',
      `expected a number in [-1, 1], got ${describeValue(options.minCosine)}`,
    );
  }
  const dtype = options.bits === 4 ? 'q4' : 'q8';
  const warn = options.onWarning ?? defaultWarn;
  const onnxDir = join(resolve(modelDir), 'onnx');
  let entries: string[];
  try {
    entries = await readdir(onnxDir);
  } catch (cause) {
    throw new ModelLoadError(
      modelDir,
      `${onnxDir} is not readable: a transformers.js model folder keeps its models in onnx/.`,
      {
        file: onnxDir,
        cause,
      },
    );
  }
  let files: string[];
  if (options.files) {
    files = [...options.files];
    for (const f of files) {
      if (basename(f) !== f || !f.endsWith('.onnx')) {
        throw new InvalidOptionsError('files', `"${f}" must be a .onnx file name inside onnx/ (no folders)`);
      }
      if (!entries.includes(f)) {
        throw new ModelLoadError(
          modelDir,
          `${join(onnxDir, f)} does not exist (found: ${entries.join(', ') || 'nothing'}).`,
          {
            file: join(onnxDir, f),
          },
        );
      }
    }
  } else {
    files = entries.filter(isFloatModelFile).sort();
    if (files.length === 0) {
      throw new ModelLoadError(modelDir, `${onnxDir} holds no float model (e.g. model.onnx) to quantize.`, {
        file: onnxDir,
      });
    }
  }

  const special = await readSpecialTokens(modelDir);
  const result: QuantizeResult = {
    dtype,
    files: [],
    warnings: [],
    reduceRange: options.bits === 8 ? resolveReduceRange(options.reduceRange) : undefined,
  };
  const note = (m: string) => {
    result.warnings.push(m);
    warn(m);
  };
  if (result.reduceRange && !result.reduceRange.reduceRange && hostInt8Range().reduceRange) {
    note(
      `full-range int8 weights on a CPU where ONNX Runtime's int8 kernels saturate (${hostInt8Range().reason}): ` +
        "the quantized model's outputs here can be far from float32 (see the cosine); use reduceRange 'auto' or " +
        'true (CLI --reduce-range auto|on) unless the model is meant for a CPU with VNNI',
    );
  }
  // Check every output name first so that a refusal leaves nothing half done.
  const targets = files.map((f) => ({
    src: join(onnxDir, f),
    out: join(onnxDir, quantizedFileName(f, dtype)),
  }));
  if (!options.overwrite) {
    for (const t of targets) {
      if ((await fileSize(t.out)) !== undefined) {
        throw new BotlensError(
          'QUANT_OUTPUT_EXISTS',
          `${t.out} already exists: pass overwrite: true to replace it.`,
        );
      }
    }
  }

  const excludes = await excludesPerFile(
    targets.map((t) => t.src),
    options,
  );
  for (const [i, { src, out }] of targets.entries()) {
    AbortedError.throwIfAborted(options.signal, 'quantize');
    const bytesIn = (await fileSize(src)) ?? 0;
    // loadOnnxModel reads external data files in, so models over 2 GiB in float32 can still be quantized.
    const model = await loadOnnxModel(src);
    const feeds =
      options.verify === false || !model.graph ? undefined : syntheticInputs(model.graph, special);
    const report = quantizeOnnxModel(model, { ...options, exclude: excludes[i] ?? options.exclude ?? [] });
    const entry: QuantizedFile = {
      source: src,
      output: undefined,
      report,
      bytesIn,
      bytesOut: 0,
      cosine: undefined,
      verifyNote: undefined,
    };
    result.files.push(entry);
    for (const w of report.warnings) note(`${basename(src)}: ${w}`);
    if (report.status !== 'quantized') {
      if (report.status === 'nothing-to-quantize') {
        note(
          `${basename(src)}: no layer could be quantized (see the report's kept list); nothing was written.`,
        );
      }
      continue;
    }
    const encoded = await encodeOnnxModel(model);
    if (options.verify !== false) {
      const v = await compareModels(src, encoded, feeds ? { feeds } : {});
      if (!v.loads) {
        throw new BotlensError(
          'QUANT_BROKEN',
          `The quantized ${basename(src)} does not load in ONNX Runtime, so it was not written: ${v.note}. Report this with the model; exclude the failing layer meanwhile.`,
        );
      }
      entry.cosine = v.cosine;
      entry.verifyNote = v.note;
      const min = options.minCosine ?? 0.99;
      if (v.cosine !== undefined && v.cosine < min) {
        note(
          `${basename(src)}: output cosine to float32 is ${v.cosine.toFixed(4)} (below ${min}); try bits 8, a smaller blockSize, or exclude sensitive layers.`,
        );
      }
    }
    AbortedError.throwIfAborted(options.signal, 'quantize');
    await writeOutputFile(out, encoded);
    entry.output = out;
    entry.bytesOut = encoded.length;
  }
  return result;
}
