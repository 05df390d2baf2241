import { MODEL_DTYPES, type ModelDtype } from '../runtime/model-options.js';
import { bytesPerParameter, estimateMemory, modelDimensionsFromConfig } from '../sizing/memory-estimate.js';
import type { ZooDetector } from '../zoo/model-zoo.js';
import { formatBytes } from './format-bytes.js';
import { onnxWeightFiles } from './onnx-weight-files.js';
import { parseByteSize } from './parse-byte-size.js';
import type { CheckStatus, ModelCheck, ModelFacts } from './types.js';

/** Options for {@link checkMemory}. */
export interface CheckMemoryOptions {
  /** The detector that will use the model (decoders add a KV cache and logits). */
  task: ZooDetector;
  /** Memory the model may use: bytes, or a size such as `'4GB'` or `'2GiB'` ({@link parseByteSize}). */
  memoryBudget: number | string;
  /**
   * The ONNX weight variant that will be loaded.
   * @defaultValue 'fp32'
   */
  dtype?: ModelDtype;
  /**
   * Transcripts scored together.
   * @defaultValue 1
   */
  batchSize?: number;
  /**
   * Tokens per input; capped at the model's maximum positions.
   * @defaultValue 512
   */
  sequenceLength?: number;
  /**
   * Runtime overhead as a fraction of the weights.
   * @defaultValue 0.2
   */
  overheadFraction?: number;
  /**
   * Share of the budget above which the check warns (too little headroom).
   * @defaultValue 0.8
   */
  warnFraction?: number;
}

const DECODER = /(ForCausalLM|LMHeadModel)$/;
const PICKLE_WEIGHTS = /^(pytorch_model|model)(-\d{5}-of-\d{5})?\.bin$/;

function parameterCount(facts: ModelFacts, task: ZooDetector): { count: number; source: string } | undefined {
  if (facts.parameters && facts.parameters.total > 0) {
    const dtypes = Object.keys(facts.parameters.byDtype).join('/');
    return {
      count: facts.parameters.total,
      source:
        facts.parameters.source === 'safetensors-header'
          ? `safetensors headers, ${dtypes}`
          : `hub summary, ${dtypes}`,
    };
  }
  const files = facts.files ?? [];
  for (const d of MODEL_DTYPES) {
    const bytes = onnxWeightFiles(files, task, d).bytes;
    if (bytes !== undefined && bytes > 0) {
      return { count: Math.round(bytes / bytesPerParameter(d)), source: `size of the ${d} ONNX files` };
    }
  }
  const pickle = files.filter((f) => PICKLE_WEIGHTS.test(f.path) && f.size !== undefined);
  if (pickle.length > 0) {
    const bytes = pickle.reduce((s, f) => s + (f.size ?? 0), 0);
    return { count: Math.round(bytes / 4), source: 'size of the PyTorch weights, assuming fp32' };
  }
  return undefined;
}

function architecture(facts: ModelFacts): string | undefined {
  for (const c of [facts.config, facts.hubConfig]) {
    const a = c?.['architectures'];
    if (Array.isArray(a) && typeof a[0] === 'string') return a[0];
  }
  return undefined;
}

function millions(n: number): string {
  return n >= 1e9 ? `${Number((n / 1e9).toPrecision(3))}B` : `${Number((n / 1e6).toPrecision(3))}M`;
}

/**
 * Memory: estimates what the model needs for inference with {@link estimateMemory} and compares it with the
 * budget. The parameter count comes from the safetensors headers (or the hub's summary of them), else from the
 * ONNX file sizes, else from the PyTorch weight sizes; the weights count as the larger of parameters x bytes per
 * dtype and the size of the ONNX files that will be loaded. Activations come from `config.json`; decoders add the
 * KV cache (with `num_key_value_heads`) and the per-position logits; the runtime adds 45% of the weights and 13.5 MiB (measured on ONNX Runtime; see `estimateMemory`).
 *
 * Fails above the budget, warns above `warnFraction` of it, and warns when the parameter count is unknown.
 *
 * @param facts - what the hub said about the model
 * @param options - detector, budget, dtype and workload
 * @throws InvalidOptionsError for a budget that is not a size, or a bad batch size or sequence length
 * @example
 * ```ts
 * checkMemory(facts, { task: 'nli', memoryBudget: '2GB', dtype: 'q8' }).status; // 'pass' for bart-large-mnli q8
 * ```
 */
export function checkMemory(facts: ModelFacts, options: CheckMemoryOptions): ModelCheck {
  const budget = parseByteSize(options.memoryBudget, 'memoryBudget');
  const dtype = options.dtype ?? 'fp32';
  const warnFraction = options.warnFraction ?? 0.8;
  const rule = `estimated inference memory <= ${Math.round(warnFraction * 100)}% of the ${formatBytes(budget)} budget (warn up to 100%)`;
  const params = parameterCount(facts, options.task);
  if (!params) {
    return {
      name: 'memory',
      status: 'warn',
      value: null,
      rule,
      message:
        'The parameter count is unknown (no readable safetensors headers, ONNX or PyTorch weights): measure the memory yourself.',
    };
  }
  const dims = modelDimensionsFromConfig(facts.config);
  const arch = architecture(facts);
  const decoder =
    options.task === 'perplexity' || options.task === 'fewshot' || (arch !== undefined && DECODER.test(arch));
  const weightFiles = facts.files ? onnxWeightFiles(facts.files, options.task, dtype) : undefined;
  const est = estimateMemory({
    parameters: params.count,
    dtype,
    weightFileBytes: weightFiles?.bytes,
    dims,
    decoder,
    batchSize: options.batchSize,
    sequenceLength: options.sequenceLength,
    overheadFraction: options.overheadFraction,
  });
  const share = est.total / budget;
  const status: CheckStatus = share > 1 ? 'fail' : share > warnFraction ? 'warn' : 'pass';
  const parts = [
    `weights ${formatBytes(est.weights)} (${millions(params.count)} parameters from the ${params.source}${
      weightFiles?.bytes !== undefined && !params.source.includes('ONNX')
        ? `; the ${dtype} ONNX files weigh ${formatBytes(weightFiles.bytes)}`
        : ''
    })`,
    dims ? `activations ${formatBytes(est.activations)}` : 'activations unknown (no readable config.json)',
    ...(est.logits > 0 ? [`logits ${formatBytes(est.logits)}`] : []),
    ...(est.kvCache > 0 ? [`KV cache ${formatBytes(est.kvCache)}`] : []),
    `runtime overhead ${formatBytes(est.overhead)}`,
  ];
  const verdict =
    status === 'fail'
      ? ' Pick a smaller model or dtype, or raise the budget.'
      : status === 'warn'
        ? ' Little headroom is left: consider a smaller dtype.'
        : '';
  return {
    name: 'memory',
    status,
    value: Math.round(est.total),
    rule,
    message: `Needs about ${formatBytes(est.total)} in ${dtype} at ${est.sequenceLength} tokens x ${est.batchSize}: ${parts.join(', ')}; ${Math.round(share * 100)}% of the ${formatBytes(budget)} budget.${verdict}`,
  };
}
