import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeValue } from '../core/describe-value.js';
import { DTYPE_FILE_SUFFIXES } from '../core/model-dtypes.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { assertOutputSeparate } from '../fs/safe-paths.js';
import { copyModelMetadata, pathExists } from '../onnx/model-folder.js';
import { encodeOnnxModel, loadOnnxModel } from '../onnx/onnx-model.js';
import { readLoraAdapter } from '../peft/adapter/read-adapter.js';
import type { ReplacedParameter } from '../peft/merge.js';
import { addLoraSideBranches, type LoraBranchInfo } from './lora-branch.js';
import { writeOutputFile } from './write-output.js';

/** Options for {@link attachLoraAdapter}. */
export interface AttachLoraOptions {
  /** The base model folder (transformers.js layout), e.g. one {@link quantize} wrote `onnx/model_q4.onnx` into. */
  base: string;
  /** The PEFT LoRA adapter folder (`adapter_config.json`, `adapter_model.safetensors`). */
  adapter: string;
  /** The folder to write: the base's config and tokenizer files plus `onnx/<model><suffix>.onnx` with the branches. */
  out: string;
  /**
   * Which variant of the base to extend; the output keeps its file name, so the same `dtype` loads it.
   * @defaultValue 'q4'
   */
  dtype?: 'fp32' | 'q8' | 'q4';
  /**
   * The float model's file name under `onnx/` (`model.onnx`; `decoder_model.onnx` for a decoder).
   * @defaultValue 'model.onnx'
   */
  file?: string;
  /**
   * Replace an existing output file.
   * @defaultValue false
   */
  overwrite?: boolean;
}

/** What {@link attachLoraAdapter} did: the side branches added and the file written. */
export interface AttachLoraResult {
  /** The model file written, e.g. `<out>/onnx/model_q4.onnx`. */
  output: string;
  /** The branches added, one per adapted module. */
  branches: LoraBranchInfo[];
  /** Parameters the adapter replaced in full (`modules_to_save` such as the classifier, trained biases). */
  replaced: ReplacedParameter[];
}

const ATTACH_LORA_OPTION_KEYS: OptionKeys<AttachLoraOptions> = {
  base: true,
  adapter: true,
  out: true,
  dtype: true,
  file: true,
  overwrite: true,
};

/**
 * Writes a model folder that runs a (quantized) base with a LoRA adapter as unmerged float32 side branches
 * (y = Wq x + s B A x): the base's `config.json` and tokenizer files, and its `onnx/model_q4.onnx` (or
 * `model_quantized.onnx`, `model.onnx`) with the branches added. transformers.js and every botlens detector
 * load it with the same `dtype`. Several adapters can be attached to one quantized base this way, each folder
 * costing the base's size plus a few hundred KB; for one session serving many adapters, use
 * `addLoraSideBranches` with `weightsAs: 'inputs'`.
 *
 * @param options - base, adapter, out, dtype
 * @returns the branch report and the written file
 * @throws AdapterError when the adapter does not fit the base; InvalidOptionsError on bad folders;
 *   ModelLoadError when the base variant is missing (run `quantize` first)
 * @throws MissingDependencyError naming `npm install protobufjs` when that optional peer dependency is not installed
 *
 * @example
 * ```ts
 * await quantize('models/tiny-bert-cls', { bits: 4 });
 * await attachLoraAdapter({ base: 'models/tiny-bert-cls', adapter: 'adapters/bots', out: 'models/bots-q4', dtype: 'q4' });
 * // then load 'models/bots-q4' with dtype: 'q4'
 * ```
 */
export async function attachLoraAdapter(options: AttachLoraOptions): Promise<AttachLoraResult> {
  refuseUnknownKeys(options, ATTACH_LORA_OPTION_KEYS, 'the options of attachLoraAdapter()');
  const base = resolve(options.base);
  const out = resolve(options.out);
  const adapterDir = resolve(options.adapter);
  const dtype = options.dtype ?? 'q4';
  if (!['fp32', 'q8', 'q4'].includes(dtype)) {
    throw new InvalidOptionsError('dtype', `expected 'fp32', 'q8' or 'q4', got ${describeValue(dtype)}`);
  }
  if (out === base || out === adapterDir)
    throw new InvalidOptionsError('out', `must differ from the base and adapter folders (got ${out})`);
  // Real paths: a symlink to the base (or a folder inside or around an input) is the input.
  assertOutputSeparate({ option: 'out', path: out }, [
    { option: 'base', path: base },
    { option: 'adapter', path: adapterDir },
  ]);
  const file = (options.file ?? 'model.onnx').replace(/\.onnx$/, `${DTYPE_FILE_SUFFIXES[dtype]}.onnx`);
  const target = join(out, 'onnx', file);
  if (!options.overwrite && (await pathExists(target))) {
    throw new BotlensError(
      'QUANT_OUTPUT_EXISTS',
      `${target} already exists: pass overwrite: true to replace it.`,
    );
  }
  const adapter = await readLoraAdapter(adapterDir);
  const model = await loadOnnxModel(join(base, 'onnx', file));
  const report = addLoraSideBranches(model, adapter);
  const bytes = await encodeOnnxModel(model);
  await mkdir(join(out, 'onnx'), { recursive: true });
  await copyModelMetadata(base, out, { keepAdapterFiles: true });
  await writeOutputFile(target, bytes);
  const record = {
    base,
    adapter: adapterDir,
    dtype,
    file,
    branches: report.branches,
    replaced: report.replaced,
  };
  await writeFileAtomic(join(out, 'botlens-lora.json'), `${JSON.stringify(record, null, 2)}\n`);
  return { ...report, output: target };
}
