import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { mapInBatches, planBatches } from '../src/runtime/batching.js';
import { countTokens, encodeTexts, modelMaxLength, padToTensors } from '../src/runtime/encode-texts.js';
import { acquireModel, loadTransformers, type ModelHandle } from '../src/runtime/load-model.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';

describe('planBatches / mapInBatches', () => {
  it('groups by length, longest first, and covers every index once', () => {
    expect(planBatches([3, 50, 4, 48], { batchSize: 2 })).toEqual([
      [1, 3],
      [2, 0],
    ]);
    const lengths = Array.from({ length: 37 }, (_, i) => (i * 7919) % 101);
    const batches = planBatches(lengths, { batchSize: 8 });
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    expect(batches.every((b) => b.length <= 8)).toBe(true);
    // within and across batches lengths never increase
    const flat = batches.flat().map((i) => lengths[i]!);
    for (let i = 1; i < flat.length; i++) expect(flat[i]!).toBeLessThanOrEqual(flat[i - 1]!);
  });

  it('gives long outliers a batch of their own instead of padding a full batch to their length', () => {
    const lengths = [200, ...Array.from({ length: 63 }, () => 10)];
    const batches = planBatches(lengths, { batchSize: 64 });
    expect(batches).toEqual([[0], lengths.slice(1).map((_, i) => i + 1)]);
    // Never more padding than cutting the sorted list every batchSize items (the plan before this one).
    const padded = (bs: number[][], ls: number[]) =>
      bs.reduce((s, b) => s + b.length * Math.max(...b.map((i) => ls[i]!)), 0);
    for (let seed = 1; seed <= 20; seed++) {
      const ls = Array.from({ length: 300 }, (_, i) => 5 + (((i * 7919 * seed) % 97) ** 2 % 120));
      const sorted = ls.map((_, i) => i).sort((a, b) => ls[b]! - ls[a]! || a - b);
      const greedy = Array.from({ length: Math.ceil(300 / 32) }, (_, k) => sorted.slice(k * 32, k * 32 + 32));
      const plan = planBatches(ls, { batchSize: 32 });
      expect(plan.every((b) => b.length <= 32)).toBe(true);
      expect(padded(plan, ls)).toBeLessThanOrEqual(padded(greedy, ls));
    }
  });

  it('keeps batches under the token budget', () => {
    const batches = planBatches([100, 100, 100, 10, 10, 10, 10], { batchSize: 32, maxBatchTokens: 200 });
    for (const b of batches) {
      const longest = Math.max(...b.map((i) => [100, 100, 100, 10, 10, 10, 10][i]!));
      expect(b.length * longest).toBeLessThanOrEqual(200);
    }
    expect(batches[0]).toEqual([0, 1]);
  });

  it('restores input order and honours abort', async () => {
    const out = await mapInBatches([5, 1, 3, 9], async (idx) => idx.map((i) => `r${i}`), { batchSize: 3 });
    expect(out).toEqual(['r0', 'r1', 'r2', 'r3']);
    const ac = new AbortController();
    let calls = 0;
    const p = mapInBatches(
      [1, 2, 3, 4],
      async (idx) => {
        calls++;
        ac.abort();
        return idx;
      },
      { batchSize: 1, signal: ac.signal },
    );
    await expect(p).rejects.toSatisfy((e) => AbortedError.isInstance(e));
    expect(calls).toBe(1);
  });

  it('rejects bad batch sizes', () => {
    expect(() => planBatches([1], { batchSize: 0 })).toThrow(InvalidOptionsError);
    expect(() => planBatches([1], { maxBatchTokens: -1 })).toThrow(InvalidOptionsError);
  });
});

describeWithShared('encodeTexts on real tokenizers', () => {
  let bert: ModelHandle;
  let bart: ModelHandle;
  beforeAll(async () => {
    bert = await acquireModel('sequence-classification', {
      model: join(HF_TINY, 'tiny-bert-nli'),
      defaultModel: 'x/y',
    });
    bart = await acquireModel('sequence-classification', {
      model: join(HF_TINY, 'tiny-bart-nli'),
      defaultModel: 'x/y',
    });
  });
  afterAll(async () => {
    await bert?.release();
    await bart?.release();
  });

  it('truncates only the premise and keeps the special tokens and the hypothesis whole', () => {
    const premise = 'i love to go hiking with my dogs . what do you do for fun ? '.repeat(10);
    const hyp = 'This speaker is human.';
    for (const h of [bert, bart]) {
      const [full] = encodeTexts(h.tokenizer, [premise], { maxLength: 10_000, pairs: [hyp] });
      const [cut] = encodeTexts(h.tokenizer, [premise], { maxLength: 40, pairs: [hyp] });
      const [hypOnly] = countTokens(h.tokenizer, [hyp]);
      expect(cut!.input_ids.length).toBe(40);
      // same start (special token + premise start) and same end (hypothesis + closing special tokens)
      expect(cut!.input_ids.slice(0, 5)).toEqual(full!.input_ids.slice(0, 5));
      const tail = hypOnly! + 2;
      expect(cut!.input_ids.slice(-tail)).toEqual(full!.input_ids.slice(-tail));
      expect(cut!.attention_mask.every((m) => m === 1)).toBe(true);
      if (full!.token_type_ids) {
        expect(cut!.token_type_ids!.length).toBe(40);
        expect(cut!.token_type_ids!.slice(-tail - 1)).toEqual(full!.token_type_ids!.slice(-tail - 1));
      }
    }
  });

  it('truncates single texts keeping the closing special token', () => {
    const long = 'hello there '.repeat(400);
    const [r] = encodeTexts(bert.tokenizer, [long], { maxLength: 512 });
    expect(r!.input_ids.length).toBe(512);
    expect(r!.input_ids[0]).toBe(2); // [CLS]
    expect(r!.input_ids[511]).toBe(3); // [SEP]
  });

  it('pads into library tensors with the model input names', async () => {
    const T = await loadTransformers();
    const rows = encodeTexts(bert.tokenizer, ['hi', 'hi there friend'], { maxLength: 512 });
    const feeds = padToTensors(T, rows, {
      padId: 0,
      inputNames: ['input_ids', 'attention_mask', 'token_type_ids'],
    });
    expect(feeds['input_ids']).toBeInstanceOf(T.Tensor);
    expect(feeds['input_ids']!.dims).toEqual([2, rows[1]!.input_ids.length]);
    const mask = Array.from(feeds['attention_mask']!.data as BigInt64Array, Number);
    expect(mask.slice(0, rows[1]!.input_ids.length)).toEqual(
      [1, 1, 1, 0, 0, 0].slice(0, rows[1]!.input_ids.length),
    );
    const only = padToTensors(T, rows, { padId: 0, inputNames: ['input_ids', 'attention_mask'] });
    expect(Object.keys(only).sort()).toEqual(['attention_mask', 'input_ids']);
  });

  it('reads the model length limit from tokenizer and config', () => {
    expect(modelMaxLength(bert.tokenizer, bert.config)).toBe(512);
    expect(modelMaxLength(bart.tokenizer, bart.config)).toBe(1024);
    expect(modelMaxLength(bart.tokenizer, bart.config, 128)).toBe(128);
  });
});
