import { DTYPE_FILE_SUFFIXES, type ModelDtype, ONNX_FILE_PATTERN } from '../core/model-dtypes.js';
import type { ZooDetector } from '../zoo/model-zoo.js';
import type { HubFile } from './types.js';

/**
 * The ONNX graphs each detector loads, as alternatives per part: every part is needed, any one name of a part
 * will do. Decoders are exported either as one `model` graph (onnx-community) or as `decoder_model_merged`
 * (older Xenova exports); CLIP needs both towers.
 */
const PARTS: Readonly<Record<ZooDetector, readonly (readonly string[])[]>> = {
  nli: [['model']],
  embedding: [['model']],
  lora: [['model']],
  perplexity: [['model', 'decoder_model_merged']],
  fewshot: [['model', 'decoder_model_merged']],
  clip: [['text_model'], ['vision_model']],
};

/** What {@link onnxWeightFiles} found. */
export interface OnnxWeightFiles {
  /** True when every part the detector needs exists for the dtype. */
  complete: boolean;
  /** The graph file chosen per part (without external-data files), `undefined` for a missing part. */
  graphs: (string | undefined)[];
  /** The expected file names of the missing parts, e.g. `onnx/model_quantized.onnx`. */
  missing: string[];
  /** Every file to load, external data (`.onnx_data`) included. */
  paths: string[];
  /** Total bytes of `paths`, `undefined` when a size is unknown or a part is missing. */
  bytes: number | undefined;
}

/**
 * Finds the ONNX files a detector would load from a repo in the transformers.js layout, for one dtype:
 * `onnx/<part><suffix>.onnx` (suffix `''`, `_fp16`, `_quantized`, `_q4`) plus its external-data files
 * (`.onnx_data`, `.onnx_data_1`...).
 *
 * @param files - the repo's files
 * @param detector - the detector that will load the model
 * @param dtype - the weight variant
 * @example
 * ```ts
 * onnxWeightFiles([{ path: 'onnx/model_quantized.onnx', size: 4e8 }], 'nli', 'q8');
 * // { complete: true, graphs: ['onnx/model_quantized.onnx'], missing: [], paths: [...], bytes: 400000000 }
 * ```
 */
export function onnxWeightFiles(
  files: readonly HubFile[],
  detector: ZooDetector,
  dtype: ModelDtype,
): OnnxWeightFiles {
  const suffix = DTYPE_FILE_SUFFIXES[dtype];
  const byBase = new Map<string, HubFile[]>();
  for (const f of files) {
    const m = ONNX_FILE_PATTERN.exec(f.path);
    if (!m || (m[2] ?? '') !== suffix) continue;
    const base = m[1]!;
    const list = byBase.get(base) ?? [];
    list.push(f);
    byBase.set(base, list);
  }
  const graphs: (string | undefined)[] = [];
  const missing: string[] = [];
  const chosen: HubFile[] = [];
  for (const alternatives of PARTS[detector]) {
    const base = alternatives.find((b) => byBase.get(b)?.some((f) => f.path === `onnx/${b}${suffix}.onnx`));
    if (base === undefined) {
      graphs.push(undefined);
      missing.push(`onnx/${alternatives[0]}${suffix}.onnx`);
      continue;
    }
    graphs.push(`onnx/${base}${suffix}.onnx`);
    chosen.push(...(byBase.get(base) ?? []));
  }
  const complete = missing.length === 0;
  const bytes =
    complete && chosen.every((f) => f.size !== undefined)
      ? chosen.reduce((s, f) => s + (f.size ?? 0), 0)
      : undefined;
  return { complete, graphs, missing, paths: chosen.map((f) => f.path), bytes };
}
