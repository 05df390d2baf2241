import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AdapterError } from '../../src/errors/adapter-error.js';
import { encodeOnnxModel, loadOnnxModel } from '../../src/onnx/onnx-model.js';
import { type LoraAdapter, readLoraAdapter } from '../../src/peft/adapter/read-adapter.js';
import { attachLoraAdapter } from '../../src/quant/attach-lora.js';
import { addLoraSideBranches, type LoraFeed } from '../../src/quant/lora-branch.js';
import { quantize } from '../../src/quant/quantize.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';
import { cleanTemps, copyFixtures, goldens, maxAbsDiff, textFeeds } from './fixtures.js';

describeWithShared(
  'quantized base + unmerged LoRA side branches (tiny-bert-cls + tiny-bert-cls-lora)',
  () => {
    let root = '';
    let base = '';
    let adapter: LoraAdapter;
    // Read in beforeAll, not while collecting: without ../shared this suite is skipped and must not touch it.
    let g: Record<string, unknown> = {};
    let ids: number[][] = [];
    let merged: number[] = [];
    let baseLogits: number[] = [];
    beforeAll(() => {
      g = goldens()['tiny-bert-cls-lora']!;
      ids = g['input_ids'] as number[][];
      merged = (g['merged_logits'] as number[][]).flat();
      baseLogits = (g['base_logits'] as number[][]).flat();
    });

    async function logits(
      model: Uint8Array | string,
      feeds: Record<string, LoraFeed> = {},
    ): Promise<Float32Array> {
      const s = await ort.InferenceSession.create(model as Uint8Array);
      try {
        const f = textFeeds({ ids }, s.inputNames);
        for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', v.data, v.dims);
        return (await s.run(f))['logits']!.data as Float32Array;
      } finally {
        await s.release();
      }
    }

    beforeAll(async () => {
      root = copyFixtures('tiny-bert-cls');
      base = join(root, 'tiny-bert-cls');
      await quantize(base, { bits: 8, onWarning: () => {} });
      await quantize(base, { bits: 4, onWarning: () => {} });
      adapter = await readLoraAdapter(join(HF_TINY, 'tiny-bert-cls-lora'));
    }, 60_000);
    afterAll(cleanTemps);

    for (const [file, baseOp, tol] of [
      ['model.onnx', 'MatMul', 1e-5],
      ['model_quantized.onnx', 'MatMulInteger', 3e-3],
      ['model_q4.onnx', 'MatMulNBits', 1e-2],
    ] as const) {
      it(`${file}: logits with the adapter as side branches are within ${tol} of the merged fp32 model`, async () => {
        const model = await loadOnnxModel(join(base, 'onnx', file));
        const r = addLoraSideBranches(model, adapter);
        expect(r.branches.map((b) => [b.module, b.r, b.scaling, b.baseOp])).toEqual([
          ['bert.encoder.layer.0.attention.self.query', 8, 4, baseOp],
          ['bert.encoder.layer.0.attention.self.value', 8, 4, baseOp],
          ['bert.encoder.layer.1.attention.self.query', 8, 4, baseOp],
          ['bert.encoder.layer.1.attention.self.value', 8, 4, baseOp],
        ]);
        expect(r.replaced.map((p) => p.parameter)).toEqual(['classifier.bias', 'classifier.weight']);
        // the base weights are untouched: still the quantized operators, plus 4 float MatMul pairs
        const ops = model.graph!.node.map((n) => n.op_type);
        expect(ops.filter((o) => o === 'Add').length).toBeGreaterThan(4);
        const out = await logits(await encodeOnnxModel(model));
        expect(maxAbsDiff(out, merged)).toBeLessThan(tol);
        // and the adapter changes the prediction: far from the base model's logits
        expect(maxAbsDiff(out, baseLogits)).toBeGreaterThan(20 * tol);
      });
    }

    it('with weightsAs inputs, one q4 session serves the adapter or no adapter, switched by the feeds', async () => {
      const model = await loadOnnxModel(join(base, 'onnx', 'model_q4.onnx'));
      const r = addLoraSideBranches(model, adapter, { weightsAs: 'inputs', prefix: 'bots' });
      const names = Object.keys(r.feeds);
      expect(names).toHaveLength(12);
      expect(names[0]).toBe('bots.bert.encoder.layer.0.attention.self.query.lora_A');
      expect(r.feeds[names[0]!]!.dims).toEqual([32, 8]);
      const bytes = await encodeOnnxModel(model);
      const withAdapter = await logits(bytes, r.feeds);
      expect(maxAbsDiff(withAdapter, merged)).toBeLessThan(1e-2);
      // the same graph with every scale at 0: the quantized base with only the adapter's classifier
      const off = Object.fromEntries(
        Object.entries(r.feeds).map(([k, v]) => [
          k,
          k.endsWith('.scale') ? { data: new Float32Array([0]), dims: [] } : v,
        ]),
      );
      const withoutBranches = await logits(bytes, off);
      const classifierOnly = await loadOnnxModel(join(base, 'onnx', 'model_q4.onnx'));
      addLoraSideBranches(classifierOnly, { ...adapter, updates: [] });
      expect(maxAbsDiff(withoutBranches, await logits(await encodeOnnxModel(classifierOnly)))).toBeLessThan(
        1e-5,
      );
      expect(maxAbsDiff(withAdapter, withoutBranches)).toBeGreaterThan(0.01);
    });

    it('attachLoraAdapter writes a folder transformers.js loads with dtype q4, matching the merged model', async () => {
      const out = join(root, 'bots-q4');
      const r = await attachLoraAdapter({
        base,
        adapter: join(HF_TINY, 'tiny-bert-cls-lora'),
        out,
        dtype: 'q4',
      });
      expect(r.output).toBe(join(out, 'onnx', 'model_q4.onnx'));
      const tjs = await import('@huggingface/transformers');
      tjs.env.allowRemoteModels = false;
      tjs.env.localModelPath = root;
      const tok = await tjs.AutoTokenizer.from_pretrained('bots-q4');
      const model = await tjs.AutoModelForSequenceClassification.from_pretrained('bots-q4', { dtype: 'q4' });
      try {
        const { logits: l } = await model(tok(g['texts'] as string[], { padding: true }));
        expect(maxAbsDiff(l.data as Float32Array, merged)).toBeLessThan(1e-2);
      } finally {
        await model.dispose();
      }
      await expect(
        attachLoraAdapter({ base, adapter: join(HF_TINY, 'tiny-bert-cls-lora'), out, dtype: 'q4' }),
      ).rejects.toThrow(/already exists/);
    });

    it('refuses an adapter that does not fit, or one that replaces a layer the base holds quantized', async () => {
      const model = await loadOnnxModel(join(base, 'onnx', 'model_q4.onnx'));
      const wrong = {
        ...adapter,
        updates: [{ ...adapter.updates[0]!, module: 'bert.encoder.layer.7.attention.self.query' }],
      };
      expect(() => addLoraSideBranches(model, wrong)).toThrow(AdapterError);
      const narrow = {
        ...adapter,
        updates: [{ ...adapter.updates[0]!, inFeatures: 16, A: new Float32Array(8 * 16) }],
      };
      expect(() => addLoraSideBranches(model, narrow)).toThrow(/32x32/);

      const headRoot = copyFixtures('tiny-bert-cls');
      await quantize(join(headRoot, 'tiny-bert-cls'), { bits: 8, quantizeHead: true, onWarning: () => {} });
      const quantHead = await loadOnnxModel(join(headRoot, 'tiny-bert-cls', 'onnx', 'model_quantized.onnx'));
      const err = (() => {
        try {
          addLoraSideBranches(quantHead, adapter);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(AdapterError.isInstance(err) && err.code).toBe('ADAPTER_UNSUPPORTED');
      expect((err as Error).message).toMatch(/quantized/);
    });
  },
);
