import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import {
  activationBytes,
  activationBytesPerValue,
  bytesPerParameter,
  estimateMemory,
  kvCacheBytes,
  logitsBytes,
  modelDimensionsFromConfig,
  ORT_ATTENTION_COPIES,
  RUNTIME_BASE_BYTES,
  WEIGHT_DTYPES,
  WEIGHT_OVERHEAD_FRACTION,
  type WeightDtype,
} from '../src/sizing/memory-estimate.js';

// Every expected number below is worked out by hand in the comment next to it.

const GPT2_CONFIG = {
  n_layer: 12,
  n_embd: 768,
  n_head: 12,
  n_inner: null,
  vocab_size: 50257,
  n_positions: 1024,
  n_ctx: 1024,
};
const LLAMA_32_1B_CONFIG = {
  num_hidden_layers: 16,
  hidden_size: 2048,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 64,
  intermediate_size: 8192,
  vocab_size: 128256,
  max_position_embeddings: 131072,
};

describe('bytesPerParameter', () => {
  it.each([
    ['fp32', 4],
    ['fp16', 2],
    ['bf16', 2],
    ['q8', 1],
    ['int8', 1],
    ['uint8', 1],
  ] as const)('gives %s %d bytes a parameter (4 for fp32, 2 for 16-bit, 1 for 8-bit)', (dtype, bytes) => {
    expect(bytesPerParameter(dtype)).toBe(bytes);
  });

  it('adds the block scales to the half byte of the 4-bit formats', () => {
    expect(bytesPerParameter('q4')).toBe(0.625); // 0.5 + 4 / 32
    expect(bytesPerParameter('q4f16')).toBe(0.5625); // 0.5 + 2 / 32
    expect(bytesPerParameter('bnb4')).toBe(0.5625); // 0.5 + 4 / 64
    expect(bytesPerParameter('q4', { blockSize: 128 })).toBe(0.53125); // 0.5 + 4 / 128
    expect(bytesPerParameter('q4', { zeroPoint: true })).toBe(0.640625); // 0.5 + 4 / 32 + 0.5 / 32
    expect(bytesPerParameter('q4', { scaleBytes: 2, blockSize: 64 })).toBe(0.53125); // 0.5 + 2 / 64
  });

  it('rejects unknown dtypes and bad block sizes with InvalidOptionsError', () => {
    expect(() => bytesPerParameter('int4' as WeightDtype)).toThrow(InvalidOptionsError);
    expect(() => bytesPerParameter('int4' as WeightDtype)).toThrow(/use one of fp32, fp16/);
    expect(() => bytesPerParameter('q4', { blockSize: 0 })).toThrow(/blockSize/);
    expect(() => bytesPerParameter('q4', { scaleBytes: Number.NaN })).toThrow(/scaleBytes/);
  });

  it('covers every listed dtype', () => {
    for (const d of WEIGHT_DTYPES) expect(bytesPerParameter(d)).toBeGreaterThan(0);
  });

  it('computes in half precision only for the fp16 formats', () => {
    expect(activationBytesPerValue('fp16')).toBe(2);
    expect(activationBytesPerValue('q4f16')).toBe(2);
    expect(activationBytesPerValue('q8')).toBe(4);
    expect(activationBytesPerValue('q4')).toBe(4);
  });
});

describe('kvCacheBytes', () => {
  it('is 2 x layers x seq x batch x kv heads x head dim x bytes (Llama-3.2-1B, 1024 tokens, fp16)', () => {
    // 2 * 16 * 1024 * 1 * 8 * 64 * 2 = 33,554,432 (32 MiB)
    expect(
      kvCacheBytes({
        numLayers: 16,
        numKeyValueHeads: 8,
        headDim: 64,
        sequenceLength: 1024,
        bytesPerValue: 2,
      }),
    ).toBe(33_554_432);
  });

  it('uses the KV heads: counting the 32 query heads instead would overstate a GQA cache 4x', () => {
    const gqa = kvCacheBytes({
      numLayers: 16,
      numKeyValueHeads: 8,
      headDim: 64,
      sequenceLength: 1024,
      bytesPerValue: 2,
    });
    const mha = kvCacheBytes({
      numLayers: 16,
      numKeyValueHeads: 32,
      headDim: 64,
      sequenceLength: 1024,
      bytesPerValue: 2,
    });
    expect(mha).toBe(4 * gqa);
  });

  it('defaults to fp32 values and batch 1, and scales with the batch (Qwen2.5-0.5B, 512 tokens)', () => {
    // 2 * 24 * 512 * 1 * 2 * 64 * 4 = 12,582,912
    expect(kvCacheBytes({ numLayers: 24, numKeyValueHeads: 2, headDim: 64, sequenceLength: 512 })).toBe(
      12_582_912,
    );
    expect(
      kvCacheBytes({ numLayers: 24, numKeyValueHeads: 2, headDim: 64, sequenceLength: 512, batchSize: 4 }),
    ).toBe(4 * 12_582_912);
  });

  it('rejects negative or non-finite sizes', () => {
    expect(() =>
      kvCacheBytes({ numLayers: -1, numKeyValueHeads: 2, headDim: 64, sequenceLength: 8 }),
    ).toThrow(InvalidOptionsError);
    expect(() =>
      kvCacheBytes({
        numLayers: 2,
        numKeyValueHeads: 2,
        headDim: 64,
        sequenceLength: Number.POSITIVE_INFINITY,
      }),
    ).toThrow(/sequenceLength/);
  });
});

describe('activationBytes and logitsBytes', () => {
  it('counts one layer: b*s*(5h + 2i)*bytes + 2*b*heads*s^2*bytes (BERT-base, 128 tokens, fp32)', () => {
    // 128 * (5*768 + 2*3072) * 4 = 5,111,808 ; 2 * 12 * 128^2 * 4 = 1,572,864 ; sum 6,684,672
    expect(
      activationBytes({ hiddenSize: 768, numHeads: 12, intermediateSize: 3072, sequenceLength: 128 }),
    ).toBe(6_684_672);
  });

  it('takes 4 x hidden as the default feed-forward width and scales with batch and value width', () => {
    const base = activationBytes({ hiddenSize: 768, numHeads: 12, sequenceLength: 128 });
    expect(base).toBe(6_684_672);
    expect(
      activationBytes({ hiddenSize: 768, numHeads: 12, sequenceLength: 128, batchSize: 2, bytesPerValue: 2 }),
    ).toBe(base);
  });

  it('grows quadratically in the attention term', () => {
    // attention term alone: heads=1, hidden=0, intermediate=0: 2 * s^2 * 4
    expect(activationBytes({ hiddenSize: 0, numHeads: 1, intermediateSize: 0, sequenceLength: 10 })).toBe(
      800,
    );
    expect(activationBytes({ hiddenSize: 0, numHeads: 1, intermediateSize: 0, sequenceLength: 20 })).toBe(
      3200,
    );
  });

  it('counts a distribution per position for logits (GPT-2, 1024 tokens)', () => {
    // 1024 * 50257 * 4 = 205,852,672
    expect(logitsBytes({ sequenceLength: 1024, vocabSize: 50257 })).toBe(205_852_672);
  });
});

describe('modelDimensionsFromConfig', () => {
  it('reads GPT-2 names and derives head dim, KV heads and the 4x feed-forward width', () => {
    expect(modelDimensionsFromConfig(GPT2_CONFIG)).toEqual({
      numLayers: 12,
      hiddenSize: 768,
      numHeads: 12,
      numKeyValueHeads: 12,
      headDim: 64,
      intermediateSize: 3072,
      vocabSize: 50257,
      maxPositions: 1024,
    });
  });

  it('reads num_key_value_heads and head_dim of a GQA model', () => {
    const d = modelDimensionsFromConfig(LLAMA_32_1B_CONFIG)!;
    expect(d.numKeyValueHeads).toBe(8);
    expect(d.numHeads).toBe(32);
    expect(d.headDim).toBe(64);
    expect(d.intermediateSize).toBe(8192);
  });

  it('falls back to text_config for CLIP, and gives undefined without the core keys', () => {
    const clip = {
      model_type: 'clip',
      text_config: {
        hidden_size: 512,
        num_attention_heads: 8,
        num_hidden_layers: 12,
        max_position_embeddings: 77,
      },
    };
    expect(modelDimensionsFromConfig(clip)?.hiddenSize).toBe(512);
    expect(modelDimensionsFromConfig(clip)?.maxPositions).toBe(77);
    expect(modelDimensionsFromConfig({ hidden_size: 512 })).toBeUndefined();
    expect(modelDimensionsFromConfig(null)).toBeUndefined();
    expect(modelDimensionsFromConfig([1, 2])).toBeUndefined();
  });
});

describe('estimateMemory', () => {
  /** GPT-2 in q8 over 1024 tokens, with `terms` in place of the defaults. */
  const gpt2q8 = (terms: Partial<Parameters<typeof estimateMemory>[0]> = {}) =>
    estimateMemory({
      parameters: 124_439_808,
      dtype: 'q8',
      dims: modelDimensionsFromConfig(GPT2_CONFIG)!,
      decoder: true,
      sequenceLength: 1024,
      ...terms,
    });

  it('sums weights, activations, logits, KV cache and 20% overhead for a decoder (GPT-2 q8, 1024 tokens)', () => {
    // The textbook terms (what the defaults were before their calibration against measured RSS).
    const m = gpt2q8({ overheadFraction: 0.2, runtimeBytes: 0, attentionCopies: 2 });
    expect(m.weights).toBe(124_439_808); // 1 byte per parameter
    expect(m.activations).toBe(141_557_760); // 1024*(5*768+2*3072)*4 + 2*12*1024^2*4
    expect(m.logits).toBe(205_852_672); // 1024 * 50257 * 4
    expect(m.kvCache).toBe(75_497_472); // 2 * 12 * 1024 * 12 * 64 * 4
    expect(m.overhead).toBeCloseTo(24_887_961.6, 3); // 0.2 * weights
    expect(m.total).toBeCloseTo(572_235_673.6, 3);
  });

  it('defaults to the overheads measured on ONNX Runtime: 45% of the weights, 13.5 MiB, 6 attention-score copies', () => {
    const m = gpt2q8();
    expect(m.weights).toBe(124_439_808);
    expect(m.activations).toBe(342_884_352); // 1024*(5*768+2*3072)*4 + 6*12*1024^2*4
    expect(m.overhead).toBeCloseTo(0.45 * 124_439_808 + 13.5 * 2 ** 20, 3);
    expect(m.total).toBeCloseTo(124_439_808 + 342_884_352 + 205_852_672 + 75_497_472 + m.overhead, 3);
    expect(RUNTIME_BASE_BYTES).toBe(13.5 * 2 ** 20);
    expect(ORT_ATTENTION_COPIES).toBe(6);
    expect(WEIGHT_OVERHEAD_FRACTION).toBe(0.45);
  });

  it('leaves out logits and the KV cache for encoders, and activations without dims', () => {
    const dims = modelDimensionsFromConfig(GPT2_CONFIG)!;
    const enc = estimateMemory({ parameters: 1000, dtype: 'fp32', dims, sequenceLength: 128 });
    expect(enc.logits).toBe(0);
    expect(enc.kvCache).toBe(0);
    const bare = estimateMemory({ parameters: 1000, dtype: 'fp16', overheadFraction: 0.5, runtimeBytes: 0 });
    expect(bare).toMatchObject({ weights: 2000, activations: 0, overhead: 1000, total: 3000 });
  });

  it('caps the sequence at the model maximum', () => {
    const dims = modelDimensionsFromConfig(GPT2_CONFIG)!;
    expect(estimateMemory({ parameters: 1, dims, sequenceLength: 4096 }).sequenceLength).toBe(1024);
    expect(estimateMemory({ parameters: 1, sequenceLength: 4096 }).sequenceLength).toBe(4096);
  });

  it('counts measured weight files when they exceed parameters x bytes (q4 keeps embeddings in fp32)', () => {
    const m = estimateMemory({
      parameters: 1_000_000,
      dtype: 'q4',
      weightFileBytes: 900_000,
      overheadFraction: 0,
    });
    expect(m.weights).toBe(900_000); // > 1e6 * 0.625
    expect(
      estimateMemory({ parameters: 1_000_000, dtype: 'q4', weightFileBytes: 1, overheadFraction: 0 }).weights,
    ).toBe(625_000);
  });

  it('rejects bad inputs with InvalidOptionsError naming the field', () => {
    expect(() => estimateMemory({ parameters: -5 })).toThrow(/parameters/);
    expect(() => estimateMemory({ parameters: 5, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => estimateMemory({ parameters: 5, sequenceLength: 1.5 })).toThrow(/sequenceLength/);
    expect(() => estimateMemory({ parameters: Number.NaN })).toThrow(InvalidOptionsError);
  });
});
