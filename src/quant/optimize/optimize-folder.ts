import { cp, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { describeValue } from '../../core/describe-value.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import { BotlensError } from '../../errors/botlens-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { ModelLoadError } from '../../errors/model-load-error.js';
import { assertOutputSeparate, realPathOf } from '../../fs/safe-paths.js';
import { encodeOnnxModel, loadOnnxModel } from '../../onnx/onnx-model.js';
import type { GraphProto } from '../../onnx/onnx-types.js';
import { isFloatModelFile } from '../quantize.js';
import { compareModels, type SyntheticInput, syntheticInputs } from '../verify.js';
import {
  checkPasses,
  DEFAULT_OPTIMIZE_PASSES,
  type OptimizePass,
  type OptimizeReport,
  optimizeOnnxModel,
} from './optimize-model.js';

/** Options of {@link optimizeModelFolder}. */
export interface OptimizeFolderOptions {
  /** The folder to write: a copy of the model folder with its float ONNX files optimized. Must not exist yet. */
  out: string;
  /**
   * Which passes to try (not both `residual-layer-norm` and `skip-layer-norm`, nor `gelu` and `bias-gelu`).
   * @defaultValue `['attention', 'residual-layer-norm', 'gelu']` ({@link DEFAULT_OPTIMIZE_PASSES})
   */
  passes?: readonly OptimizePass[];
  /**
   * Largest absolute difference allowed between the original and the optimized outputs on probe inputs (with
   * padding). A file whose fusions exceed it is retried without the attention fusion, then copied unchanged.
   * @defaultValue 1e-4
   */
  tolerance?: number;
  /**
   * Replace `out` when it exists (never when it is, or is inside, or contains the input folder).
   * @defaultValue false
   */
  overwrite?: boolean;
}

/** The outcome for one ONNX file of the folder. */
export interface OptimizedFile {
  /** File name inside `onnx/`. */
  file: string;
  /** The fusions kept (empty when the file was copied unchanged). */
  passes: OptimizePass[];
  /** What the kept fusions changed. */
  report: OptimizeReport | undefined;
  /** Largest absolute output difference to the original on the probe inputs. */
  maxAbsDiff: number | undefined;
  /** Why fusions were dropped, when they were. */
  note: string | undefined;
}

/** What {@link optimizeModelFolder} wrote. */
export interface OptimizeFolderResult {
  /** The folder written. */
  out: string;
  /** One entry per float ONNX file. */
  files: OptimizedFile[];
}

const OPTIMIZE_FOLDER_OPTION_KEYS: OptionKeys<OptimizeFolderOptions> = {
  out: true,
  passes: true,
  tolerance: true,
  overwrite: true,
};

/**
 * Writes an optimized copy of a transformers.js model folder: each float ONNX file in `onnx/` goes through
 * `optimizeOnnxModel` (attention and GELU fusions into ONNX Runtime's contrib operators, residual + bias
 * before a LayerNorm into one `Sum`), is checked against the original in ONNX Runtime on probe inputs with padding, and is written only
 * when its outputs stay within `tolerance`; the other files are copied. The copy appears at `out` all at once
 * (written beside it, then renamed), so a failed run leaves nothing half-written. Quantize the result with
 * `quantize(out, { bits: 8 })`: fused attention becomes `QAttention`.
 *
 * @param modelDir - folder with `config.json` and `onnx/model.onnx`
 * @param opts - where to write, passes and tolerance
 * @throws ModelLoadError when the folder or its config cannot be read; InvalidOptionsError on bad options or an
 *   `out` that overlaps the input; BotlensError `OPTIMIZE_OUTPUT_EXISTS` when `out` exists without `overwrite`
 * @throws MissingDependencyError naming `npm install protobufjs` when that optional peer dependency is not installed
 * @example
 * ```ts
 * const res = await optimizeModelFolder('models/minilm', { out: 'models/minilm-optimized' });
 * for (const f of res.files) console.log(f.file, f.passes, f.maxAbsDiff);
 * ```
 */
export async function optimizeModelFolder(
  modelDir: string,
  opts: OptimizeFolderOptions,
): Promise<OptimizeFolderResult> {
  refuseUnknownKeys(opts, OPTIMIZE_FOLDER_OPTION_KEYS, 'the options of optimizeModelFolder()');
  const tolerance = opts.tolerance ?? 1e-4;
  if (!(tolerance > 0)) {
    throw new InvalidOptionsError(
      'tolerance',
      `expected a positive number, got ${describeValue(opts.tolerance)}`,
    );
  }
  const passes = [...checkPasses(opts.passes ?? DEFAULT_OPTIMIZE_PASSES)];
  const src = await realFolder(modelDir);
  const out = await checkOutput(src, opts.out, opts.overwrite ?? false);
  const config = await readConfig(src);
  const onnxDir = join(src, 'onnx');
  const files = (await readdir(onnxDir)).filter(isFloatModelFile).sort();
  if (files.length === 0) {
    throw new ModelLoadError(modelDir, `${onnxDir} holds no float model (e.g. model.onnx) to optimize.`);
  }
  const tmp = `${out}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await cp(src, tmp, {
      recursive: true,
      filter: (p) => !p.startsWith(`${onnxDir}${sep}`) || isFloatModelFile(p.slice(onnxDir.length + 1)),
    });
    const result: OptimizeFolderResult = { out, files: [] };
    for (const file of files) {
      const heads = headsFor(config, file);
      const entry = await optimizeFile(join(onnxDir, file), heads, passes, tolerance);
      result.files.push({ file, ...entry.summary });
      if (entry.bytes) await writeFile(join(tmp, 'onnx', file), entry.bytes);
    }
    if (opts.overwrite) await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function optimizeFile(
  path: string,
  heads: number | undefined,
  passes: OptimizePass[],
  tolerance: number,
): Promise<{ summary: Omit<OptimizedFile, 'file'>; bytes: Uint8Array | undefined }> {
  const unchanged = (note: string) => ({
    summary: { passes: [], report: undefined, maxAbsDiff: undefined, note },
    bytes: undefined,
  });
  if (heads === undefined) return unchanged('config.json gives no attention head count for this file');
  const original = await loadOnnxModel(path);
  const feeds = original.graph ? paddedInputs(original.graph) : undefined;
  if (!feeds) return unchanged('no probe inputs can be made for this graph, so fusions cannot be checked');
  const attempts = [passes, passes.filter((p) => p !== 'attention')].filter((a) => a.length > 0);
  const notes: string[] = [];
  for (const attempt of attempts) {
    const model = await loadOnnxModel(path);
    const report = optimizeOnnxModel(model, { numHeads: heads, passes: attempt });
    if (report.nodesAfter === report.nodesBefore) {
      notes.push(`${attempt.join('+')}: no pattern found`);
      continue;
    }
    const bytes = await encodeOnnxModel(model);
    const v = await compareModels(path, bytes, { feeds });
    if (v.loads && v.maxAbsDiff !== undefined && v.maxAbsDiff <= tolerance) {
      return {
        summary: { passes: attempt, report, maxAbsDiff: v.maxAbsDiff, note: notes.join('; ') || undefined },
        bytes,
      };
    }
    notes.push(
      `${attempt.join('+')}: ${v.maxAbsDiff === undefined ? (v.note ?? 'not comparable') : `outputs differ by ${v.maxAbsDiff.toExponential(2)}`}`,
    );
  }
  return unchanged(`copied unchanged (${notes.join('; ')})`);
}

/** Synthetic inputs with the second row's second half padded out, so masking is exercised. */
function paddedInputs(graph: GraphProto): Record<string, SyntheticInput> | undefined {
  const feeds = syntheticInputs(graph);
  const mask = feeds?.['attention_mask'];
  if (mask && mask.dims.length === 2) {
    const [rows = 0, seq = 0] = mask.dims;
    if (rows > 1) {
      for (let j = Math.ceil(seq / 2); j < seq; j++) {
        if (mask.data instanceof BigInt64Array) mask.data[seq + j] = 0n;
        else mask.data[seq + j] = 0;
      }
    }
  }
  return feeds;
}

type Config = Record<string, unknown>;

/** Attention heads for one file: `text_model`/`vision_model` read their sub-config (CLIP), others the top. */
function headsFor(config: Config, file: string): number | undefined {
  const sub = file.startsWith('text_model')
    ? config['text_config']
    : file.startsWith('vision_model')
      ? config['vision_config']
      : undefined;
  const scope = (typeof sub === 'object' && sub !== null ? sub : config) as Config;
  for (const key of ['num_attention_heads', 'encoder_attention_heads', 'n_head']) {
    const v = scope[key];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}

async function readConfig(dir: string): Promise<Config> {
  try {
    return JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Config;
  } catch (cause) {
    throw new ModelLoadError(dir, `${join(dir, 'config.json')} is missing or not JSON.`, {
      file: join(dir, 'config.json'),
      cause,
    });
  }
}

async function realFolder(dir: string): Promise<string> {
  try {
    const real = await realpath(resolve(dir));
    if ((await stat(real)).isDirectory()) return real;
  } catch {
    // reported below
  }
  throw new ModelLoadError(dir, `${dir} is not a readable model folder (config.json and onnx/model.onnx).`);
}

/** Resolves `out` through symlinks and refuses anything that is, holds, or lies inside the input. */
async function checkOutput(src: string, out: string, overwrite: boolean): Promise<string> {
  if (typeof out !== 'string' || out === '') {
    throw new InvalidOptionsError('out', 'give the folder to write the optimized model to');
  }
  const parent = dirname(resolve(out));
  if (
    !(await stat(parent).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new InvalidOptionsError('out', `the folder that would hold ${out} does not exist`);
  }
  assertOutputSeparate({ option: 'out', path: out }, [{ option: 'modelDir', path: src }]);
  const real = realPathOf(out);
  if (
    (await stat(real).then(
      () => true,
      () => false,
    )) &&
    !overwrite
  ) {
    throw new BotlensError(
      'OPTIMIZE_OUTPUT_EXISTS',
      `${out} already exists: pass overwrite: true to replace it.`,
    );
  }
  return real;
}
