import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { LabelledTranscript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { AbortedError } from '../../src/errors/aborted-error.js';
import { readLoraAdapter } from '../../src/peft/adapter/read-adapter.js';
import { parseSafetensors } from '../../src/peft/adapter/safetensors.js';
import { mergeLoraAdapter } from '../../src/peft/merge.js';
import { BertTrunk } from '../../src/peft/training/bert-trunk.js';
import { forward } from '../../src/peft/training/top-layer.js';
import type { TrainProgress } from '../../src/peft/training/train-core.js';
import { predictTopLayer, trainLora, trainLoraModel } from '../../src/peft/training/train-lora.js';
import { transcriptText } from '../../src/peft/training/transcript-text.js';
import { encodeTexts } from '../../src/runtime/encode-texts.js';
import { acquireModel, loadTransformers } from '../../src/runtime/load-model.js';
import { CONVAI_DIR, describeWithShared, HF_TINY } from '../helpers/shared.js';
import { useWorkDir } from '../helpers/work-dir.js';

/**
 * Runs the merged model through transformers.js, one text at a time, and checks that both of its logits match
 * the ones computed in TypeScript (`mine`) to 1e-4. `onConfig` checks the loaded config first.
 */
async function expectMergedLogits(
  merged: string,
  texts: string[],
  maxLength: number,
  mine: readonly { logits: ArrayLike<number> }[],
  onConfig?: (config: Record<string, unknown>) => void,
): Promise<void> {
  const T = await loadTransformers();
  const h = await acquireModel('sequence-classification', { model: merged, defaultModel: merged });
  try {
    onConfig?.(h.config);
    const rows = encodeTexts(h.tokenizer, texts, { maxLength });
    for (let i = 0; i < rows.length; i++) {
      const ids = rows[i]!.input_ids;
      const n = ids.length;
      const o = (await h.model({
        input_ids: new T.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
        attention_mask: new T.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
        token_type_ids: new T.Tensor('int64', new BigInt64Array(n), [1, n]),
      })) as { logits: { data: Float32Array } };
      for (let c = 0; c < 2; c++)
        expect(Math.abs(o.logits.data[c]! - mine[i]!.logits[c]!)).toBeLessThan(1e-4);
    }
  } finally {
    await h.release();
  }
}

describeWithShared('trainLora on tiny-bert-cls with ConvAI transcripts', () => {
  const work = useWorkDir('botlens-train-');
  let train: LabelledTranscript[];
  let dev: LabelledTranscript[];
  beforeAll(async () => {
    train = (await readTranscriptsJsonl(join(CONVAI_DIR, 'train.jsonl'))).slice(0, 160);
    dev = (await readTranscriptsJsonl(join(CONVAI_DIR, 'dev.jsonl'))).slice(0, 12);
  });

  it("writes a PEFT-format adapter whose merge reproduces the trained model's logits through transformers.js", async () => {
    const base = resolve(HF_TINY, 'tiny-bert-cls');
    const out = work.path('adapter');
    const events: TrainProgress[] = [];
    const res = await trainLoraModel({
      model: base,
      examples: train,
      epochs: 3,
      learningRate: 0.02,
      maxLength: 64,
      out,
      onProgress: (p) => events.push(p),
    });
    expect(res.counts).toEqual({ train: 128, validation: 32, skipped: 0 });
    expect(res.history.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.phase === 'epoch').length).toBe(res.history.length);
    expect(events.some((e) => e.phase === 'encode' && e.done === e.total && e.total === 160)).toBe(true);
    // Trainable share as PEFT counts it: LoRA on one layer's query/value (2 x (8x32 + 32x8)) + classifier (66).
    expect(res.trainableParameters).toBe(2 * 512 + 66);
    expect(res.totalParameters).toBe(82722 + 1090);

    const cfg = JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'SEQ_CLS',
      r: 8,
      lora_alpha: 32,
      target_modules: ['query', 'value'],
      layers_to_transform: [1],
      layers_pattern: 'layer',
      modules_to_save: ['classifier'],
      use_dora: false,
    });
    const file = parseSafetensors(await readFile(join(out, 'adapter_model.safetensors')));
    expect([...file.tensors.keys()].sort()).toEqual([
      'base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight',
      'base_model.model.classifier.bias',
      'base_model.model.classifier.weight',
    ]);
    expect(
      file.tensors.get('base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight')!.shape,
    ).toEqual([8, 32]);
    expect(file.metadata).toEqual({ format: 'pt' });
    const read = await readLoraAdapter(out);
    expect(read.updates.every((u) => u.scaling === 4)).toBe(true);
    // Training moved B away from zero (so the merge below changes the model).
    expect(read.updates.some((u) => u.B.some((b) => Math.abs(b) > 1e-4))).toBe(true);

    // Trained logits, computed in TypeScript from the trunk's features...
    const texts = dev.map((t) => transcriptText(validateTranscript(t)));
    const trunk = await BertTrunk.open({ model: base, maxLength: 64 });
    const mine = predictTopLayer(res.model, await trunk.encode(texts));
    await trunk.release();
    // ...and the merged model's logits through transformers.js.
    const merged = work.path('merged');
    await mergeLoraAdapter({ base, adapter: out, out: merged });
    await expectMergedLogits(merged, texts, 64, mine);
    // The trained model is not the base model (the comparison above can fail).
    const baseTrunk = await BertTrunk.open({ model: base, maxLength: 64 });
    const f = await baseTrunk.encode(texts.slice(0, 1));
    await baseTrunk.release();
    const w = baseTrunk.weights;
    const baseLogits = forward(
      w,
      {
        r: 1,
        scaling: 0,
        A: {},
        B: {},
        classifierWeight: Float64Array.from(w.classifier.weight),
        classifierBias: Float64Array.from(w.classifier.bias),
      },
      f[0]!,
    ).logits;
    expect(Math.abs(mine[0]!.logits[0]! - baseLogits[0]!)).toBeGreaterThan(0.05);
  });

  it('stops with AbortedError when cancelled, and rejects examples without labels or soft targets', async () => {
    const ac = new AbortController();
    const run = trainLora({
      model: resolve(HF_TINY, 'tiny-bert-cls'),
      examples: train,
      epochs: 50,
      maxLength: 32,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'step' && p.step === 2) ac.abort(new Error('user cancelled'));
      },
    });
    const err = await run.catch((e: unknown) => e);
    expect(AbortedError.isInstance(err)).toBe(true);
    const unlabelled = train.slice(0, 4).map(({ label: _label, ...t }) => t);
    await expect(
      trainLora({ model: resolve(HF_TINY, 'tiny-bert-cls'), examples: unlabelled }),
    ).rejects.toThrow(/label must be "human" or "bot"/);
    await expect(
      trainLora({
        model: resolve(HF_TINY, 'tiny-bert-cls'),
        examples: unlabelled,
        softTargets: [0.1, 2, 0.3, 0.4],
      }),
    ).rejects.toThrow(/soft targets are probabilities/);
    await expect(
      trainLora({ model: resolve(HF_TINY, 'tiny-gpt2'), examples: train.slice(0, 4) }),
    ).rejects.toThrow(/names no BERT encoder layers/);
  });

  it('trains on a bare encoder (tiny-bert) by adding a classification head, which the merge adds again', async () => {
    const base = resolve(HF_TINY, 'tiny-bert');
    const out = work.path('bare-adapter');
    const res = await trainLoraModel({
      model: base,
      examples: train.slice(0, 40),
      epochs: 2,
      maxLength: 32,
      learningRate: 0.02,
      out,
    });
    expect(res.addedHead).toBe(true);
    expect(res.base).not.toBe(base);
    const merged = work.path('bare-merged');
    const report = await mergeLoraAdapter({ base, adapter: out, out: merged });
    expect(report.addedHead).toBe(true);
    const texts = dev.slice(0, 3).map((t) => transcriptText(validateTranscript(t)));
    const trunk = await BertTrunk.open({ model: res.base, maxLength: 32 });
    const mine = predictTopLayer(res.model, await trunk.encode(texts));
    await trunk.release();
    await expectMergedLogits(merged, texts, 32, mine, (config) => {
      expect(config['id2label']).toEqual({ '0': 'human', '1': 'bot' });
    });
  });
});
