import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotlensError } from '../src/errors/botlens-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { loadOnnxModel } from '../src/onnx/onnx-model.js';
import { optimizeModelFolder } from '../src/quant/optimize/optimize-folder.js';
import { optimizeOnnxModel } from '../src/quant/optimize/optimize-model.js';
import { quantize } from '../src/quant/quantize.js';
import { NliScorer } from '../src/runtime/nli-scorer.js';
import { TransformersEmbedder } from '../src/runtime/transformers-embedder.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';
import { maxRowDiff } from './helpers/vectors.js';

const work = mkdtempSync(join(tmpdir(), 'botlens-optimize-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('optimizeOnnxModel options', () => {
  it('rejects a bad head count or an unknown pass before touching the model', () => {
    const model = { graph: { node: [] } } as unknown as Parameters<typeof optimizeOnnxModel>[0];
    expect(() => optimizeOnnxModel(model, { numHeads: 0 })).toThrow(InvalidOptionsError);
    expect(() =>
      optimizeOnnxModel(model, { numHeads: 2, passes: ['fold-everything' as 'attention'] }),
    ).toThrow(/unknown pass "fold-everything"/);
    expect(() =>
      optimizeOnnxModel(model, { numHeads: 2, passes: ['residual-layer-norm', 'skip-layer-norm'] }),
    ).toThrow(/choose one of "residual-layer-norm" and "skip-layer-norm"/);
    expect(() => optimizeOnnxModel(model, { numHeads: 2, passes: ['gelu', 'bias-gelu'] })).toThrow(
      /choose one of "gelu" and "bias-gelu"/,
    );
  });
});

describeWithShared('optimize on the hf-tiny models', () => {
  interface BertGolden {
    texts: string[];
    mean_pooled_normalized: number[][];
  }
  let golden = {} as BertGolden;
  let bertOut = '';
  beforeAll(async () => {
    golden = (JSON.parse(readFileSync(join(HF_TINY, 'goldens.json'), 'utf8')) as Record<string, BertGolden>)[
      'tiny-bert'
    ]!;
    bertOut = join(work, 'tiny-bert-optimized');
    await optimizeModelFolder(join(HF_TINY, 'tiny-bert'), { out: bertOut });
  });

  it('fuses every attention block, residual LayerNorm and GELU of tiny-bert', async () => {
    const model = await loadOnnxModel(join(bertOut, 'onnx/model.onnx'));
    const ops = (model.graph?.node ?? []).map((n) => `${n.domain ?? ''}.${n.op_type}`);
    expect(ops.filter((o) => o === 'com.microsoft.Attention')).toHaveLength(2);
    // Residual (+ bias) before each LayerNorm is one Sum, which ONNX Runtime does not refuse into its slower
    // SkipLayerNormalization: the embeddings' LayerNorm too (its skip is the broadcast position table).
    expect(ops.filter((o) => o === '.Sum')).toHaveLength(5);
    expect(ops.filter((o) => o === '.LayerNormalization')).toHaveLength(5);
    expect(ops).not.toContain('com.microsoft.SkipLayerNormalization');
    // GELU fused alone; its bias Add stays for the projection (quantize folds it into DynamicQuantizeMatMul).
    expect(ops.filter((o) => o === 'com.microsoft.Gelu')).toHaveLength(2);
    expect(ops).not.toContain('com.microsoft.BiasGelu');
    expect(ops).not.toContain('.Erf');
    expect(ops).not.toContain('.Softmax');
    // Each residual Sum took its projection's bias (3 inputs) except the embeddings' (2 inputs).
    const sums = (model.graph?.node ?? []).filter((n) => n.op_type === 'Sum');
    expect(sums.map((n) => n.input.length).sort()).toEqual([2, 3, 3, 3, 3]);
    // The tokenizer and config travel with it; the original quantized variants do not.
    expect(readdirSync(bertOut).sort()).toEqual([
      'config.json',
      'onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(readdirSync(join(bertOut, 'onnx'))).toEqual(['model.onnx']);
  });

  it('still fuses SkipLayerNormalization and BiasGelu when asked, within the goldens', async () => {
    const out = join(work, 'tiny-bert-skip-ln');
    const res = await optimizeModelFolder(join(HF_TINY, 'tiny-bert'), {
      out,
      passes: ['attention', 'skip-layer-norm', 'bias-gelu'],
    });
    expect(res.files[0]?.report?.skipLayerNorm).toBe(5); // the embeddings' LayerNorm too (its skip is the broadcast position table)
    expect(res.files[0]?.report?.residualLayerNorm).toBe(0);
    const model = await loadOnnxModel(join(out, 'onnx/model.onnx'));
    const ops = (model.graph?.node ?? []).map((n) => `${n.domain ?? ''}.${n.op_type}`);
    expect(ops.filter((o) => o === 'com.microsoft.SkipLayerNormalization')).toHaveLength(5);
    expect(ops.filter((o) => o === 'com.microsoft.BiasGelu')).toHaveLength(2);
    expect(res.files[0]?.report?.gelu).toBe(0);
    const e = new TransformersEmbedder({ model: out, batchSize: 2 });
    try {
      expect(maxRowDiff(await e.embed(golden.texts), golden.mean_pooled_normalized)).toBeLessThan(1e-4);
    } finally {
      await e.dispose();
    }
  });

  it('keeps the golden embeddings (1e-4) when transformers.js loads the optimized folder', async () => {
    const e = new TransformersEmbedder({ model: bertOut, batchSize: 2 });
    try {
      expect(maxRowDiff(await e.embed(golden.texts), golden.mean_pooled_normalized)).toBeLessThan(1e-4);
    } finally {
      await e.dispose();
    }
  });

  it('keeps the NLI goldens of tiny-bert-nli', async () => {
    interface NliGolden {
      premises: string[];
      hypothesis: string;
      entailment_vs_contradiction_prob: number[];
    }
    const g = (JSON.parse(readFileSync(join(HF_TINY, 'goldens.json'), 'utf8')) as Record<string, NliGolden>)[
      'tiny-bert-nli'
    ]!;
    const out = join(work, 'tiny-bert-nli-optimized');
    const res = await optimizeModelFolder(join(HF_TINY, 'tiny-bert-nli'), { out });
    expect(res.files[0]?.report?.attention).toBe(2);
    const scorer = new NliScorer({ model: out });
    try {
      const got = await scorer.entailmentProbabilities(g.premises, g.hypothesis);
      for (const [i, p] of got.entries()) {
        expect(Math.abs(p - g.entailment_vs_contradiction_prob[i]!)).toBeLessThan(1e-4);
      }
    } finally {
      await scorer.dispose();
    }
  });

  it('fuses CLIP text attention as causal (unidirectional) and vision attention unmasked', async () => {
    const out = join(work, 'tiny-clip-optimized');
    const res = await optimizeModelFolder(join(HF_TINY, 'tiny-clip'), { out });
    const byFile = Object.fromEntries(res.files.map((f) => [f.file, f]));
    expect(byFile['text_model.onnx']?.report?.attention).toBe(2);
    expect(byFile['vision_model.onnx']?.report?.attention).toBe(2);
    for (const f of res.files) expect(f.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    const text = await loadOnnxModel(join(out, 'onnx/text_model.onnx'));
    const att = (text.graph?.node ?? []).filter((n) => n.op_type === 'Attention');
    expect(att.map((n) => n.attribute.find((a) => a.name === 'unidirectional')?.i)).toEqual([1, 1]);
  });

  it('composes with quantize: fused attention becomes QAttention, output cosine >= 0.999', async () => {
    const res = await quantize(bertOut, { bits: 8 });
    const f = res.files[0]!;
    expect(f.report.quantized.filter((l) => l.op === 'Attention')).toHaveLength(2);
    expect(f.cosine).toBeGreaterThanOrEqual(0.999);
    const q = await loadOnnxModel(join(bertOut, 'onnx/model_quantized.onnx'));
    expect((q.graph?.node ?? []).filter((n) => n.op_type === 'QAttention')).toHaveLength(2);
    // 7-bit weights (for CPUs without VNNI) reach QAttention's packed QKV weight too
    const reduced = await quantize(bertOut, { bits: 8, reduceRange: true, overwrite: true });
    expect(reduced.reduceRange?.reduceRange).toBe(true);
    expect(reduced.files[0]!.cosine).toBeGreaterThanOrEqual(0.999);
    const r = await loadOnnxModel(join(bertOut, 'onnx/model_quantized.onnx'));
    const qkv = (r.graph?.node ?? []).filter((n) => n.op_type === 'QAttention').map((n) => n.input[1]);
    for (const t of (r.graph?.initializer ?? []).filter((i) => qkv.includes(i.name ?? ''))) {
      const d = new Int8Array(t.raw_data!.buffer, t.raw_data!.byteOffset, t.raw_data!.byteLength);
      expect(Math.max(...d.map(Math.abs))).toBe(64);
    }
    expect(qkv).toHaveLength(2);
    const e = new TransformersEmbedder({ model: bertOut, dtype: 'q8' });
    try {
      const v = await e.embed(golden.texts);
      expect(maxRowDiff(v, golden.mean_pooled_normalized)).toBeLessThan(0.05);
    } finally {
      await e.dispose();
    }
  });

  it('never writes into, over, or through a link to its input, and refuses an existing output', async () => {
    const src = join(HF_TINY, 'tiny-bert');
    await expect(optimizeModelFolder(src, { out: join(src, 'inside') })).rejects.toThrow(InvalidOptionsError);
    const link = join(work, 'link-to-input');
    symlinkSync(src, link);
    await expect(optimizeModelFolder(src, { out: link, overwrite: true })).rejects.toThrow(
      /is the input modelDir/,
    );
    await expect(optimizeModelFolder(src, { out: bertOut })).rejects.toSatisfy(
      (e: unknown) => BotlensError.isInstance(e) && e.code === 'OPTIMIZE_OUTPUT_EXISTS',
    );
    const missingParent = join(work, 'no', 'such', 'out');
    await expect(optimizeModelFolder(src, { out: missingParent })).rejects.toThrow(/does not exist/);
  });

  it('leaves nothing behind when the input cannot be optimized', async () => {
    const broken = join(work, 'broken-model');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(broken, 'onnx'), { recursive: true });
    writeFileSync(join(broken, 'config.json'), JSON.stringify({ num_attention_heads: 4 }));
    writeFileSync(join(broken, 'onnx/model.onnx'), 'not a protobuf');
    const out = join(work, 'broken-out');
    await expect(optimizeModelFolder(broken, { out })).rejects.toThrow();
    expect(readdirSync(work).filter((f) => f.startsWith('broken-out'))).toEqual([]);
  });
});
