import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import {
  activationBytes,
  count,
  kvCacheBytes,
  logitsBytes,
  ORT_ATTENTION_COPIES,
  positive,
  RUNTIME_BASE_BYTES,
  WEIGHT_OVERHEAD_FRACTION,
} from './workload-bytes.js';

export {
  type ActivationOptions,
  activationBytes,
  type KvCacheOptions,
  kvCacheBytes,
  type LogitsOptions,
  logitsBytes,
  ORT_ATTENTION_COPIES,
  RUNTIME_BASE_BYTES,
  WEIGHT_OVERHEAD_FRACTION,
} from './workload-bytes.js';

/**
 * How weights are stored. `fp32`, `fp16`, `q8`, `int8`, `uint8`, `q4`, `q4f16` and `bnb4` are transformers.js
 * `dtype` values (the ONNX files `model.onnx`, `model_fp16.onnx`, `model_quantized.onnx`, `model_int8.onnx`,
 * `model_uint8.onnx`, `model_q4.onnx`, `model_q4f16.onnx`, `model_bnb4.onnx`); `bf16` is the safetensors
 * storage type of many PyTorch checkpoints.
 */
export type WeightDtype = 'fp32' | 'fp16' | 'bf16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';

/** Every {@link WeightDtype}. */
export const WEIGHT_DTYPES: readonly WeightDtype[] = Object.freeze([
  'fp32',
  'fp16',
  'bf16',
  'q8',
  'int8',
  'uint8',
  'q4',
  'q4f16',
  'bnb4',
]);

/** Options for {@link bytesPerParameter}. */
export interface BytesPerParameterOptions {
  /**
   * Weights sharing one scale in the 4-bit formats (`q4`, `q4f16`, `bnb4`).
   * @defaultValue 32 for `q4` and `q4f16` (transformers.js `quantize.py` and ONNX Runtime's 4-bit quantizer),
   * 64 for `bnb4` (bitsandbytes' block size)
   */
  blockSize?: number;
  /**
   * Bytes of one block scale in the 4-bit formats.
   * @defaultValue 4 for `q4` and `bnb4` (fp32 scales), 2 for `q4f16` (fp16 scales)
   */
  scaleBytes?: number;
  /**
   * Asymmetric 4-bit blocks, which add one 4-bit zero point per block. transformers.js exports symmetric blocks.
   * @defaultValue false
   */
  zeroPoint?: boolean;
}

/**
 * Bytes one parameter takes in memory when stored as `dtype`.
 *
 * - `fp32` 4, `fp16` and `bf16` 2.
 * - `q8`, `int8`, `uint8`: 1. ONNX Runtime's dynamic 8-bit quantization keeps one scale and zero point per tensor
 *   (or per output channel), well under 0.1% of the weight, which is ignored.
 * - `q4`, `q4f16`, `bnb4`: half a byte per weight plus the block scales, `0.5 + scaleBytes / blockSize`, plus
 *   `0.5 / blockSize` with zero points. With the defaults: `q4` = 0.5 + 4/32 = 0.625, `q4f16` = 0.5 + 2/32 = 0.5625,
 *   `bnb4` = 0.5 + 4/64 = 0.5625.
 *
 * Sources: the ONNX Runtime contrib operator `com.microsoft.MatMulNBits` (packed 4-bit `B`, one scale per block
 * of `block_size` input features, optional packed 4-bit zero points); transformers.js `scripts/quantize.py`
 * (q4 block size 32, symmetric; bnb4 block size 64); bitsandbytes 4-bit (one absmax per 64 weights).
 *
 * @param dtype - the storage format
 * @param options - block size, scale width and zero points of the 4-bit formats
 * @throws InvalidOptionsError for an unknown dtype or a non-positive block size or scale width
 * @example
 * ```ts
 * bytesPerParameter('fp16'); // 2
 * bytesPerParameter('q4'); // 0.625
 * bytesPerParameter('q4', { blockSize: 128 }); // 0.53125
 * ```
 */
export function bytesPerParameter(dtype: WeightDtype, options: BytesPerParameterOptions = {}): number {
  switch (dtype) {
    case 'fp32':
      return 4;
    case 'fp16':
    case 'bf16':
      return 2;
    case 'q8':
    case 'int8':
    case 'uint8':
      return 1;
    case 'q4':
    case 'q4f16':
    case 'bnb4': {
      const blockSize = positive('blockSize', options.blockSize, dtype === 'bnb4' ? 64 : 32);
      const scaleBytes = positive('scaleBytes', options.scaleBytes, dtype === 'q4f16' ? 2 : 4);
      return 0.5 + scaleBytes / blockSize + (options.zeroPoint ? 0.5 / blockSize : 0);
    }
    default:
      throw new InvalidOptionsError(
        'dtype',
        `got ${describeValue(dtype)}; use one of ${WEIGHT_DTYPES.join(', ')}`,
      );
  }
}

/**
 * Bytes of one activation value while a model stored as `dtype` runs: 2 for `fp16`, `bf16` and `q4f16` (their
 * graphs compute in half precision), 4 for the others (8-bit and 4-bit weights are dequantized into fp32 math).
 *
 * @param dtype - the weight storage format
 * @example
 * ```ts
 * activationBytesPerValue('q8'); // 4
 * activationBytesPerValue('fp16'); // 2
 * ```
 */
export function activationBytesPerValue(dtype: WeightDtype): number {
  return dtype === 'fp16' || dtype === 'bf16' || dtype === 'q4f16' ? 2 : 4;
}

/**
 * The shape of a transformer, as read from its `config.json` by {@link modelDimensionsFromConfig}.
 */
export interface ModelDimensions {
  /** Transformer layers (`num_hidden_layers`, `n_layer`). */
  numLayers: number;
  /** Width of the hidden states (`hidden_size`, `n_embd`, `d_model`). */
  hiddenSize: number;
  /** Attention (query) heads (`num_attention_heads`, `n_head`). */
  numHeads: number;
  /** Key/value heads (`num_key_value_heads`); fewer than `numHeads` under grouped-query attention. */
  numKeyValueHeads: number;
  /** Width of one head (`head_dim`, else `hiddenSize / numHeads`). */
  headDim: number;
  /** Width of the feed-forward layer (`intermediate_size`, `n_inner`, `encoder_ffn_dim`, else 4 x hidden). */
  intermediateSize: number;
  /** Vocabulary size (`vocab_size`), when the config gives it. */
  vocabSize: number | undefined;
  /** Longest sequence (`max_position_embeddings`, `n_positions`), when the config gives it. */
  maxPositions: number | undefined;
}

function firstNumber(obj: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = obj[k];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  }
  return undefined;
}

function dimsOf(c: Record<string, unknown>): ModelDimensions | undefined {
  const numLayers = firstNumber(c, ['num_hidden_layers', 'n_layer', 'num_layers', 'encoder_layers']);
  const hiddenSize = firstNumber(c, ['hidden_size', 'n_embd', 'd_model', 'dim']);
  const numHeads = firstNumber(c, ['num_attention_heads', 'n_head', 'encoder_attention_heads', 'n_heads']);
  if (numLayers === undefined || hiddenSize === undefined || numHeads === undefined) return undefined;
  const numKeyValueHeads =
    firstNumber(c, ['num_key_value_heads', 'n_kv_heads', 'multi_query_group_num']) ?? numHeads;
  const headDim = firstNumber(c, ['head_dim']) ?? hiddenSize / numHeads;
  const intermediateSize =
    firstNumber(c, ['intermediate_size', 'n_inner', 'encoder_ffn_dim', 'ffn_dim', 'hidden_dim']) ??
    4 * hiddenSize;
  return {
    numLayers,
    hiddenSize,
    numHeads,
    numKeyValueHeads,
    headDim,
    intermediateSize,
    vocabSize: firstNumber(c, ['vocab_size']),
    maxPositions: firstNumber(c, ['max_position_embeddings', 'n_positions', 'n_ctx', 'seq_length']),
  };
}

/**
 * Reads a model's dimensions from its Hugging Face `config.json`, under the key names the common architectures
 * use (BERT, BART, GPT-2, Llama/Qwen, ...). Multimodal configs without top-level dimensions (CLIP, SigLIP) are
 * read from `text_config`.
 *
 * @param config - the parsed `config.json`
 * @returns the dimensions, or `undefined` when layers, hidden size or heads are missing
 * @example
 * ```ts
 * modelDimensionsFromConfig({ n_layer: 12, n_embd: 768, n_head: 12, vocab_size: 50257, n_positions: 1024 });
 * // { numLayers: 12, hiddenSize: 768, numHeads: 12, numKeyValueHeads: 12, headDim: 64, intermediateSize: 3072, ... }
 * ```
 */
export function modelDimensionsFromConfig(config: unknown): ModelDimensions | undefined {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return undefined;
  const c = config as Record<string, unknown>;
  const top = dimsOf(c);
  if (top) return top;
  const text = c['text_config'];
  if (typeof text === 'object' && text !== null && !Array.isArray(text))
    return dimsOf(text as Record<string, unknown>);
  return undefined;
}

/** Options for {@link estimateMemory}. */
export interface MemoryEstimateOptions {
  /** Parameter count of the model. */
  parameters: number;
  /**
   * Weight storage format.
   * @defaultValue 'fp32'
   */
  dtype?: WeightDtype;
  /**
   * Measured bytes of the weight files that will be loaded (e.g. the ONNX files of `dtype`). When given, the weights
   * count as the larger of this and `parameters x bytesPerParameter(dtype)`: 4-bit exports keep their embeddings in
   * full precision, so their files are larger than the parameter count suggests.
   * @defaultValue undefined
   */
  weightFileBytes?: number;
  /**
   * The model's shape, for activations, logits and the KV cache. Without it only weights and overhead are counted.
   * @defaultValue undefined
   */
  dims?: ModelDimensions;
  /**
   * A decoder (causal LM): adds the KV cache and the per-position logits.
   * @defaultValue false
   */
  decoder?: boolean;
  /**
   * Sequences run together.
   * @defaultValue 1
   */
  batchSize?: number;
  /**
   * Tokens per sequence; capped at `dims.maxPositions`.
   * @defaultValue 512
   */
  sequenceLength?: number;
  /**
   * Weight bytes held beyond the weights themselves (the file buffer, ONNX Runtime's copies and pre-packed
   * kernels), as a fraction of the weights.
   * @defaultValue {@link WEIGHT_OVERHEAD_FRACTION} (0.45, measured; `accelerate estimate-memory` suggests 0.2,
   * which left this estimator 1.6x low for q8 and q4)
   */
  overheadFraction?: number;
  /**
   * Bytes a loaded model costs whatever its size (session, arena, tokenizer).
   * @defaultValue {@link RUNTIME_BASE_BYTES} (13.5 MiB, measured)
   */
  runtimeBytes?: number;
  /**
   * Attention-score-sized tensors alive at the peak of one layer.
   * @defaultValue {@link ORT_ATTENTION_COPIES} (6, measured)
   */
  attentionCopies?: number;
  /**
   * Block size, scale width and zero points of the 4-bit formats.
   * @defaultValue {} (the defaults of {@link bytesPerParameter})
   */
  quantization?: BytesPerParameterOptions;
}

/** The result of {@link estimateMemory}: a breakdown in bytes. */
export interface MemoryEstimate {
  /** Weight bytes. */
  weights: number;
  /** Peak activation bytes of one layer. */
  activations: number;
  /** Per-position logits of a decoder (0 for encoders). */
  logits: number;
  /** Key/value cache of a decoder (0 for encoders). */
  kvCache: number;
  /** Runtime overhead: `overheadFraction x weights + runtimeBytes`. */
  overhead: number;
  /** The sum of the above. */
  total: number;
  /** The sequence length used (after capping at the model's maximum). */
  sequenceLength: number;
  /** The batch size used. */
  batchSize: number;
  /** Bytes per parameter of the dtype. */
  bytesPerParameter: number;
}

/**
 * Estimates the memory a model needs for inference:
 * `weights + activations + logits + kvCache + overhead`, where
 * - weights = `parameters x bytesPerParameter(dtype)` (or the measured `weightFileBytes`, if larger);
 * - activations = {@link activationBytes} of one layer (needs `dims`), with {@link ORT_ATTENTION_COPIES}
 *   attention-score tensors alive;
 * - logits = {@link logitsBytes}, for decoders with a known vocabulary;
 * - kvCache = {@link kvCacheBytes}, for decoders, over the whole sequence;
 * - overhead = `overheadFraction x weights + runtimeBytes` (45% and 13.5 MiB by default).
 *
 * The weight term is what `accelerate estimate-memory` computes (parameters x bytes per dtype); the activation,
 * logit and KV-cache terms add what such estimators leave out, and the defaults are calibrated against the RSS
 * growth of ONNX Runtime 1.30 on the CPU (`npx tsx bench/memory-estimate.ts`: within ±25% for fp32, q8 and q4
 * at 1 x 128 and 8 x 512 tokens on a MiniLM-sized encoder and a tiny BART).
 *
 * @param options - parameter count, dtype, shape and workload
 * @throws InvalidOptionsError for a negative parameter count, a bad batch size or sequence length
 * @example
 * ```ts
 * const dims = modelDimensionsFromConfig(gpt2Config)!;
 * const m = estimateMemory({ parameters: 124_439_808, dtype: 'q8', dims, decoder: true, sequenceLength: 1024 });
 * m.total; // weights + activations + logits + KV cache + overhead, in bytes
 * ```
 */
export function estimateMemory(options: MemoryEstimateOptions): MemoryEstimate {
  const parameters = count('parameters', options.parameters);
  const dtype = options.dtype ?? 'fp32';
  const bpp = bytesPerParameter(dtype, options.quantization);
  const batchSize = count('batchSize', options.batchSize, 1);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidOptionsError(
      'batchSize',
      `expected an integer >= 1, got ${describeValue(options.batchSize)}`,
    );
  }
  const requested = count('sequenceLength', options.sequenceLength, 512);
  if (!Number.isInteger(requested) || requested < 1) {
    throw new InvalidOptionsError(
      'sequenceLength',
      `expected an integer >= 1, got ${describeValue(options.sequenceLength)}`,
    );
  }
  const overheadFraction = count('overheadFraction', options.overheadFraction, WEIGHT_OVERHEAD_FRACTION);
  const runtimeBytes = count('runtimeBytes', options.runtimeBytes, RUNTIME_BASE_BYTES);
  const attentionCopies = count('attentionCopies', options.attentionCopies, ORT_ATTENTION_COPIES);
  const fileBytes =
    options.weightFileBytes === undefined ? 0 : count('weightFileBytes', options.weightFileBytes);

  const dims = options.dims;
  const sequenceLength =
    dims?.maxPositions !== undefined ? Math.min(requested, dims.maxPositions) : requested;
  const actBytes = activationBytesPerValue(dtype);
  const weights = Math.max(parameters * bpp, fileBytes);
  const activations = dims
    ? activationBytes({
        hiddenSize: dims.hiddenSize,
        numHeads: dims.numHeads,
        intermediateSize: dims.intermediateSize,
        sequenceLength,
        batchSize,
        bytesPerValue: actBytes,
        attentionCopies,
      })
    : 0;
  const decoder = options.decoder === true;
  const logits =
    decoder && dims?.vocabSize !== undefined
      ? logitsBytes({ sequenceLength, vocabSize: dims.vocabSize, batchSize, bytesPerValue: actBytes })
      : 0;
  const kvCache =
    decoder && dims
      ? kvCacheBytes({
          numLayers: dims.numLayers,
          numKeyValueHeads: dims.numKeyValueHeads,
          headDim: dims.headDim,
          sequenceLength,
          batchSize,
          bytesPerValue: actBytes,
        })
      : 0;
  const overhead = overheadFraction * weights + runtimeBytes;
  return {
    weights,
    activations,
    logits,
    kvCache,
    overhead,
    total: weights + activations + logits + kvCache + overhead,
    sequenceLength,
    batchSize,
    bytesPerParameter: bpp,
  };
}
