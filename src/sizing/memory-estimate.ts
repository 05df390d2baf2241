import { InvalidOptionsError } from '../errors/invalid-options-error.js';

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

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionsError(option, `expected a positive number, got ${String(value)}`);
  }
  return value;
}

function count(option: string, value: number | undefined, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionsError(option, `expected a number >= 0, got ${String(value)}`);
  }
  return value;
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
        `got ${JSON.stringify(dtype)}; use one of ${WEIGHT_DTYPES.join(', ')}`,
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

/** Options for {@link kvCacheBytes}. */
export interface KvCacheOptions {
  /** Decoder layers. */
  numLayers: number;
  /** Key/value heads: `num_key_value_heads` (not the query heads) under grouped-query attention. */
  numKeyValueHeads: number;
  /** Width of one head. */
  headDim: number;
  /** Tokens held in the cache (prompt plus generated). */
  sequenceLength: number;
  /**
   * Sequences decoded together.
   * @defaultValue 1
   */
  batchSize?: number;
  /**
   * Bytes of one cached value.
   * @defaultValue 4 (fp32, what ONNX Runtime keeps for fp32, q8 and q4 decoders)
   */
  bytesPerValue?: number;
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
  const seq = count('sequenceLength', options.sequenceLength);
  const batch = count('batchSize', options.batchSize, 1);
  const bytes = count('bytesPerValue', options.bytesPerValue, 4);
  return 2 * layers * seq * batch * kvHeads * headDim * bytes;
}

/** Options for {@link activationBytes}. */
export interface ActivationOptions {
  /** Width of the hidden states. */
  hiddenSize: number;
  /** Attention heads. */
  numHeads: number;
  /** Tokens per sequence. */
  sequenceLength: number;
  /**
   * Width of the feed-forward layer.
   * @defaultValue 4 x hiddenSize
   */
  intermediateSize?: number;
  /**
   * Sequences run together.
   * @defaultValue 1
   */
  batchSize?: number;
  /**
   * Bytes of one activation value ({@link activationBytesPerValue}).
   * @defaultValue 4
   */
  bytesPerValue?: number;
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
 * tiny-bart-nli (1 MB of weights) and running 128 tokens: 20 MiB, of which about 2 MiB are weights and
 * activations.
 */
export const RUNTIME_BASE_BYTES = 18 * 2 ** 20;

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
  const s = count('sequenceLength', options.sequenceLength);
  const i = count('intermediateSize', options.intermediateSize, 4 * h);
  const b = count('batchSize', options.batchSize, 1);
  const bytes = count('bytesPerValue', options.bytesPerValue, 4);
  const copies = count('attentionCopies', options.attentionCopies, 2);
  return b * s * (5 * h + 2 * i) * bytes + copies * b * heads * s * s * bytes;
}

/** Options for {@link logitsBytes}. */
export interface LogitsOptions {
  /** Tokens per sequence. */
  sequenceLength: number;
  /** Vocabulary size. */
  vocabSize: number;
  /**
   * Sequences run together.
   * @defaultValue 1
   */
  batchSize?: number;
  /**
   * Bytes of one logit.
   * @defaultValue 4
   */
  bytesPerValue?: number;
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
  const s = count('sequenceLength', options.sequenceLength);
  const v = count('vocabSize', options.vocabSize);
  const b = count('batchSize', options.batchSize, 1);
  const bytes = count('bytesPerValue', options.bytesPerValue, 4);
  return b * s * v * bytes;
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
   * @defaultValue {@link RUNTIME_BASE_BYTES} (18 MiB, measured)
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
 * - overhead = `overheadFraction x weights + runtimeBytes` (45% and 18 MiB by default).
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
    throw new InvalidOptionsError('batchSize', `expected an integer >= 1, got ${String(options.batchSize)}`);
  }
  const requested = count('sequenceLength', options.sequenceLength, 512);
  if (!Number.isInteger(requested) || requested < 1) {
    throw new InvalidOptionsError(
      'sequenceLength',
      `expected an integer >= 1, got ${String(options.sequenceLength)}`,
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
