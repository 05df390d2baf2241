import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * Activation, logit and KV-cache bytes of a transformer workload, and the ONNX Runtime overheads measured on this
 * project's benches; `estimateMemory` adds them to the weights.
 *
 * @module
 */

/** A positive number option, or `fallback` when unset. @internal */
export function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionsError(option, `expected a positive number, got ${describeValue(value)}`);
  }
  return value;
}

/** A non-negative number option, or `fallback` when unset. @internal */
export function count(option: string, value: number | undefined, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionsError(option, `expected a number >= 0, got ${describeValue(value)}`);
  }
  return value;
}

/** The shape every workload shares: tokens per sequence, sequences run together, bytes of one value. */
export interface WorkloadShape {
  /** Tokens per sequence (for a KV cache: held in the cache, prompt plus generated). */
  sequenceLength: number;
  /**
   * Sequences run (or decoded) together.
   * @defaultValue 1
   */
  batchSize?: number;
  /**
   * Bytes of one value: an activation ({@link activationBytesPerValue}), a logit or a cached key or value.
   * @defaultValue 4 (fp32, what ONNX Runtime keeps for fp32, q8 and q4 models)
   */
  bytesPerValue?: number;
}

/** {@link WorkloadShape} checked: sequence length, batch and value width, the defaults filled in. */
function readShape(options: WorkloadShape): { seq: number; batch: number; bytes: number } {
  return {
    seq: count('sequenceLength', options.sequenceLength),
    batch: count('batchSize', options.batchSize, 1),
    bytes: count('bytesPerValue', options.bytesPerValue, 4),
  };
}

/** Options for {@link kvCacheBytes}. */
export interface KvCacheOptions extends WorkloadShape {
  /** Decoder layers. */
  numLayers: number;
  /** Key/value heads: `num_key_value_heads` (not the query heads) under grouped-query attention. */
  numKeyValueHeads: number;
  /** Width of one head. */
  headDim: number;
}

/**
 * Bytes of a decoder's key/value cache:
 * `2 x layers x sequenceLength x batchSize x numKeyValueHeads x headDim x bytesPerValue`
 * (one key and one value vector per layer, token and KV head).
 *
 * Use `num_key_value_heads`, not the query heads: a grouped-query model (Llama 3, Qwen2) caches a fraction of what
 * its head count suggests. Source: the KV-cache formula of EleutherAI's "Transformer Math 101" and of the vLLM
 * and Hugging Face memory guides, with the grouped-query correction.
 *
 * @param options - the cache's shape
 * @throws InvalidOptionsError for a negative or non-finite field
 * @example
 * ```ts
 * // Llama-3.2-1B: 16 layers, 8 KV heads of 64, 1024 tokens, fp16
 * kvCacheBytes({ numLayers: 16, numKeyValueHeads: 8, headDim: 64, sequenceLength: 1024, bytesPerValue: 2 }); // 33554432
 * ```
 */
export function kvCacheBytes(options: KvCacheOptions): number {
  const layers = count('numLayers', options.numLayers);
  const kvHeads = count('numKeyValueHeads', options.numKeyValueHeads);
  const headDim = count('headDim', options.headDim);
  const { seq, batch, bytes } = readShape(options);
  return 2 * layers * seq * batch * kvHeads * headDim * bytes;
}

/** Options for {@link activationBytes}. */
export interface ActivationOptions extends WorkloadShape {
  /** Width of the hidden states. */
  hiddenSize: number;
  /** Attention heads. */
  numHeads: number;
  /**
   * Width of the feed-forward layer.
   * @defaultValue 4 x hiddenSize
   */
  intermediateSize?: number;
  /**
   * Attention-score-sized tensors alive at once. 2 (scores and their softmax) is the theoretical minimum;
   * {@link estimateMemory} uses {@link ORT_ATTENTION_COPIES}, what ONNX Runtime holds with its arena.
   * @defaultValue 2
   */
  attentionCopies?: number;
}

/**
 * Attention-score-sized tensors (`batch x heads x seq^2` values) ONNX Runtime's CPU arena holds at its peak when
 * running the transformers.js exports: the scores, the masked scores, the softmax, the NaN guard and its `Where`,
 * rounded up by the arena. Measured as RSS growth on bench-minilm-l6 and tiny-bart-nli at 8 x 512 tokens
 * (`npx tsx bench/memory-estimate.ts`): 5.7 to 6 copies.
 */
export const ORT_ATTENTION_COPIES = 6;

/**
 * Bytes one loaded model costs beyond its weights and activations regardless of its size: the ONNX Runtime
 * session and arena, the tokenizer and transformers.js's objects. Measured as the RSS growth of loading
 * tiny-bart-nli (1 MB of weights) and running 128 tokens (`npx tsx bench/memory-estimate.ts`): 13.7 or 20.2 MiB
 * from one process to the next (a native step of about 6.4 MiB while the model loads, outside the V8 heap and
 * glibc's arenas; 16 processes split 6 / 10), of which about 3 MiB are weights and activations. 13.5 MiB puts the
 * estimate between the two, within 25% of either.
 */
export const RUNTIME_BASE_BYTES = 13.5 * 2 ** 20;

/**
 * Extra weight bytes held while ONNX Runtime runs a model, as a fraction of the weight files: the file buffer
 * transformers.js reads and hands over, and the weights ONNX Runtime copies and pre-packs for its kernels.
 * Measured at 1.41 to 1.5 x the file size for fp32, q8 and q4 on bench-minilm-l6 (`bench/memory-estimate.ts`).
 */
export const WEIGHT_OVERHEAD_FRACTION = 0.45;

/**
 * Peak activation bytes of one transformer layer during inference (no gradients are kept, so only one layer's
 * tensors are alive at a time):
 * `batch x seq x (5 x hidden + 2 x intermediate) x bytes + 2 x batch x heads x seq^2 x bytes`.
 *
 * The first term counts the layer input and the residual (2 x hidden), the query, key and value projections
 * (3 x hidden) and the feed-forward intermediate before and after its activation function (2 x intermediate); the
 * second the attention scores and their softmax. It is the inference slice of the per-layer activation count of
 * Korthikanti et al., "Reducing Activation Recomputation in Large Transformer Models" (2022), section 4.1, which
 * keeps the same tensors of every layer for the backward pass.
 *
 * @param options - the layer's shape and the sequence length
 * @throws InvalidOptionsError for a negative or non-finite field
 * @example
 * ```ts
 * // BERT-base, one sequence of 128 tokens, fp32
 * activationBytes({ hiddenSize: 768, numHeads: 12, intermediateSize: 3072, sequenceLength: 128 }); // 6684672
 * ```
 */
export function activationBytes(options: ActivationOptions): number {
  const h = count('hiddenSize', options.hiddenSize);
  const heads = count('numHeads', options.numHeads);
  const { seq: s, batch: b, bytes } = readShape(options);
  const i = count('intermediateSize', options.intermediateSize, 4 * h);
  const copies = count('attentionCopies', options.attentionCopies, 2);
  return b * s * (5 * h + 2 * i) * bytes + copies * b * heads * s * s * bytes;
}

/** Options for {@link logitsBytes}. */
export interface LogitsOptions extends WorkloadShape {
  /** Vocabulary size. */
  vocabSize: number;
}

/**
 * Bytes of the logits a language model returns for every position: `batch x seq x vocab x bytes`. Perplexity
 * scoring keeps them all (one distribution per token), which for a large vocabulary outweighs the activations.
 *
 * @param options - batch, sequence length, vocabulary and value width
 * @throws InvalidOptionsError for a negative or non-finite field
 * @example
 * ```ts
 * logitsBytes({ sequenceLength: 1024, vocabSize: 50257 }); // 205852672 (GPT-2, fp32)
 * ```
 */
export function logitsBytes(options: LogitsOptions): number {
  const { seq, batch, bytes } = readShape(options);
  const v = count('vocabSize', options.vocabSize);
  return batch * seq * v * bytes;
}
