import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { ModelLoadError } from '../src/errors/model-load-error.js';
import { encodeTexts } from '../src/runtime/encode-texts.js';
import { acquireModel } from '../src/runtime/load-model.js';
import { TransformersEmbedder } from '../src/runtime/transformers-embedder.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';
import { maxRowDiff } from './helpers/vectors.js';

const TINY_BERT = join(HF_TINY, 'tiny-bert');

interface BertGolden {
  texts: string[];
  input_ids: number[][];
  mean_pooled: number[][];
  mean_pooled_normalized: number[][];
  cls: number[][];
}

describe('TransformersEmbedder options (no model needed)', () => {
  it('defaults to the zoo model with the E5 prefix, and no prefix for other models', () => {
    const e5 = new TransformersEmbedder();
    expect(e5.prefix).toBe('query: ');
    expect(e5.id).toBe('transformers:Xenova/e5-small-v2:fp32:mean:norm:prefix="query: "');
    const mini = new TransformersEmbedder({ model: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8' });
    expect(mini.prefix).toBe('');
    expect(mini.id).toBe('transformers:Xenova/all-MiniLM-L6-v2:q8:mean:norm');
    expect(new TransformersEmbedder({ model: 'Xenova/e5-small-v2', prefix: 'passage: ' }).prefix).toBe(
      'passage: ',
    );
  });

  it('rejects bad options', () => {
    expect(() => new TransformersEmbedder({ pooling: 'max' as 'mean' })).toThrow(InvalidOptionsError);
    expect(() => new TransformersEmbedder({ batchSize: 0 })).toThrow(InvalidOptionsError);
    expect(() => new TransformersEmbedder({ dtype: 'int4' as 'q4' })).toThrow(InvalidOptionsError);
  });
});

describeWithShared('TransformersEmbedder on tiny-bert', () => {
  // Read in beforeAll, not while collecting: without ../shared this suite is skipped and must not touch it.
  let g = {} as BertGolden;
  beforeAll(() => {
    g = (JSON.parse(readFileSync(join(HF_TINY, 'goldens.json'), 'utf8')) as Record<string, BertGolden>)[
      'tiny-bert'
    ]!;
  });
  const made: TransformersEmbedder[] = [];
  const make = (o: ConstructorParameters<typeof TransformersEmbedder>[0]) => {
    const e = new TransformersEmbedder({ model: TINY_BERT, ...o });
    made.push(e);
    return e;
  };
  afterAll(async () => {
    for (const e of made) await e.dispose();
  });

  it('tokenizes to the golden input ids', async () => {
    const h = await acquireModel('feature-extraction', { model: TINY_BERT, defaultModel: 'x/y' });
    try {
      const rows = encodeTexts(h.tokenizer, g.texts, { maxLength: 512 });
      rows.forEach((r, i) => {
        const golden = g.input_ids[i]!.slice(0, r.input_ids.length);
        expect(r.input_ids).toEqual(golden);
        expect(g.input_ids[i]!.slice(r.input_ids.length).every((x) => x === 0)).toBe(true); // the rest is padding
      });
    } finally {
      await h.release();
    }
  });

  it('gives the golden mean-pooled normalized embeddings (1e-4), whatever the batch size', async () => {
    for (const batchSize of [1, 2, 4]) {
      const v = await make({ batchSize }).embed(g.texts);
      expect(maxRowDiff(v, g.mean_pooled_normalized)).toBeLessThan(1e-4);
    }
    const v = await make({}).embed(g.texts);
    for (const row of v) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
  });

  it('gives the golden raw mean pooling with normalize: false, and the CLS vector with pooling: cls', async () => {
    expect(maxRowDiff(await make({ normalize: false }).embed(g.texts), g.mean_pooled)).toBeLessThan(1e-4);
    expect(maxRowDiff(await make({ normalize: false, pooling: 'cls' }).embed(g.texts), g.cls)).toBeLessThan(
      1e-4,
    );
  });

  it('keeps input order when batching sorts by length', async () => {
    const e = make({ batchSize: 2 });
    const reversed = await e.embed([...g.texts].reverse());
    expect(maxRowDiff(reversed, [...g.mean_pooled_normalized].reverse())).toBeLessThan(1e-4);
    expect(await e.embed([])).toEqual([]);
  });

  it('a prefix changes the embedding (it is really prepended)', async () => {
    const [plain] = await make({}).embed(['hi there']);
    const [withPrefix] = await make({ prefix: 'query: ' }).embed(['hi there']);
    const [manual] = await make({}).embed(['query: hi there']);
    expect(maxRowDiff([withPrefix!], [Array.from(manual!)])).toBeLessThan(1e-6);
    expect(maxRowDiff([withPrefix!], [Array.from(plain!)])).toBeGreaterThan(1e-3);
  });

  it('embeds texts longer than the model limit (truncated, no crash) and q8/q4 weights close to fp32', async () => {
    const long = 'hello there how are you '.repeat(300);
    const [v] = await make({}).embed([long]);
    expect(v!.every(Number.isFinite)).toBe(true);
    const fp32 = await make({}).embed(g.texts);
    for (const dtype of ['q8', 'q4'] as const) {
      const q = await make({ dtype }).embed(g.texts);
      q.forEach((row, i) => {
        let dot = 0;
        for (let j = 0; j < row.length; j++) dot += row[j]! * fp32[i]![j]!;
        expect(dot).toBeGreaterThan(0.9);
      });
    }
  });

  it('rejects bad input, honours abort and reports a missing model', async () => {
    const e = make({});
    await expect(e.embed('hi' as unknown as string[])).rejects.toThrow(InvalidOptionsError);
    const ac = new AbortController();
    ac.abort();
    await expect(e.embed(['hi'], { signal: ac.signal })).rejects.toSatisfy((x) => AbortedError.isInstance(x));
    const missing = new TransformersEmbedder({ model: join(HF_TINY, 'nope') });
    await expect(missing.embed(['hi'])).rejects.toSatisfy((x) => ModelLoadError.isInstance(x));
  });
});
