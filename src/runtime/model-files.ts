import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ModelDtype, onnxFileFor } from '../core/model-dtypes.js';
import { ModelLoadError } from '../errors/model-load-error.js';

/** The kinds of model botlens loads; each maps to a transformers.js model class. */
export type ModelTask = 'feature-extraction' | 'sequence-classification' | 'causal-lm' | 'clip';

/** Every {@link ModelTask}. */
export const MODEL_TASKS: readonly ModelTask[] = Object.freeze([
  'feature-extraction',
  'sequence-classification',
  'causal-lm',
  'clip',
]);

/**
 * The files a local model folder must hold for a task and dtype, relative to the folder.
 *
 * @param task - what the model is loaded for
 * @param dtype - the weight variant
 * @example
 * ```ts
 * requiredModelFiles('clip', 'fp32');
 * // ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json',
 * //  'onnx/text_model.onnx', 'onnx/vision_model.onnx']
 * ```
 */
export function requiredModelFiles(task: ModelTask, dtype: ModelDtype): string[] {
  const common = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
  if (task === 'clip') {
    return [
      ...common,
      'preprocessor_config.json',
      onnxFileFor(dtype, 'text_model'),
      onnxFileFor(dtype, 'vision_model'),
    ];
  }
  return [...common, onnxFileFor(dtype)];
}

/**
 * The base names a task's main ONNX graph may have, in the order they are looked for: `model`, and for a causal
 * LM also `decoder_model_merged`, which older exports (Xenova/gpt2 among them, and `botlens pull` of them) hold
 * instead (transformers.js's `model_file_name`).
 *
 * @param task - what the model is loaded for (not `clip`, whose two graphs have fixed names)
 * @internal
 */
export function mainGraphNames(task: ModelTask): readonly string[] {
  return task === 'causal-lm' ? CAUSAL_LM_GRAPHS : MODEL_GRAPH;
}

const MODEL_GRAPH: readonly string[] = Object.freeze(['model']);
const CAUSAL_LM_GRAPHS: readonly string[] = Object.freeze(['model', 'decoder_model_merged']);

/**
 * The files that can stand for one of {@link requiredModelFiles}, in the order they are looked for: the main
 * graph under each of its {@link mainGraphNames}; any other file only as itself.
 *
 * @param task - what the model is loaded for
 * @param dtype - the weight variant
 * @param file - a file {@link requiredModelFiles} lists for the task and dtype
 * @example
 * ```ts
 * graphFileCandidates('causal-lm', 'q8', 'onnx/model_quantized.onnx');
 * // ['onnx/model_quantized.onnx', 'onnx/decoder_model_merged_quantized.onnx']
 * ```
 * @internal
 */
export function graphFileCandidates(task: ModelTask, dtype: ModelDtype, file: string): string[] {
  if (task === 'clip' || file !== onnxFileFor(dtype)) return [file];
  return mainGraphNames(task).map((name) => onnxFileFor(dtype, name));
}

/**
 * Checks that a local model folder holds every file {@link requiredModelFiles} lists and that its small JSON
 * files parse, so a missing or broken file is reported by name before ONNX Runtime or the tokenizer fail obscurely.
 *
 * @param folder - absolute folder path
 * @param task - what the model is loaded for
 * @param dtype - the weight variant
 * @param fix - a sentence saying how to get the files, appended to the message
 * @returns the name the folder's main graph has (one of {@link mainGraphNames}, for transformers.js's
 *   `model_file_name`); undefined for `clip`, whose graphs have fixed names
 * @throws ModelLoadError naming the first missing or unreadable file
 *
 * @example
 * ```ts
 * await checkModelFolder('/models/tiny-bert', 'feature-extraction', 'fp32', 'Download it first.'); // 'model'
 * ```
 */
export async function checkModelFolder(
  folder: string,
  task: ModelTask,
  dtype: ModelDtype,
  fix: string,
): Promise<string | undefined> {
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ModelLoadError(folder, `Model folder "${folder}" does not exist. ${fix}`, { file: folder });
  }
  let mainGraph: string | undefined;
  for (const wanted of requiredModelFiles(task, dtype)) {
    let rel = wanted;
    let file = join(folder, rel);
    let s: Stats | undefined;
    const candidates = graphFileCandidates(task, dtype, wanted);
    for (const [i, candidate] of candidates.entries()) {
      s = await stat(join(folder, candidate)).catch(() => undefined);
      if (s) {
        rel = candidate;
        file = join(folder, candidate);
        if (task !== 'clip' && wanted === onnxFileFor(dtype)) mainGraph = mainGraphNames(task)[i];
        break;
      }
    }
    if (!s?.isFile()) {
      const dtypeHint = rel.startsWith('onnx/')
        ? ` (dtype "${dtype}" selects this file; choose a dtype whose file exists, or add it)`
        : '';
      throw new ModelLoadError(folder, `Model file "${rel}" is missing in "${folder}"${dtypeHint}. ${fix}`, {
        file,
      });
    }
    if (s.size === 0) {
      throw new ModelLoadError(
        folder,
        `Model file "${rel}" in "${folder}" is empty (an interrupted download?). ${fix}`,
        {
          file,
        },
      );
    }
    // tokenizer.json can be tens of MB: leave its parsing to the tokenizer (errors are mapped by the loader).
    if (rel.endsWith('.json') && rel !== 'tokenizer.json') {
      try {
        JSON.parse(await readFile(file, 'utf8'));
      } catch (cause) {
        throw new ModelLoadError(folder, `Model file "${rel}" in "${folder}" is not valid JSON. ${fix}`, {
          file,
          cause,
        });
      }
    }
  }
  return mainGraph;
}
