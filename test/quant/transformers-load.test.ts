import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { quantize } from '../../src/quant/quantize.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';
import { cleanTemps, copyFixtures, cosine, goldens } from './fixtures.js';

type Tjs = typeof import('@huggingface/transformers');

/** Flattens nested number arrays. */
function flat(x: unknown): number[] {
  return (x as unknown[]).flat(3) as number[];
}

describeWithShared('transformers.js loads what quantize() wrote, with dtype q8 and q4', () => {
  let root = '';
  let tjs: Tjs;
  let g: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    g = goldens(); // here, not while collecting: without ../shared this suite is skipped
    root = copyFixtures('tiny-bert', 'tiny-bert-nli', 'tiny-gpt2', 'tiny-clip');
    for (const m of ['tiny-bert', 'tiny-bert-nli', 'tiny-gpt2', 'tiny-clip']) {
      for (const bits of [8, 4] as const)
        await quantize(join(root, m), { bits, overwrite: true, onWarning: () => {} });
    }
    tjs = await import('@huggingface/transformers');
    tjs.env.allowRemoteModels = false;
    tjs.env.localModelPath = root;
  }, 120_000);
  afterAll(cleanTemps);

  for (const [dtype, min] of [
    ['q8', 0.999],
    ['q4', 0.99],
  ] as const) {
    it(`feature extraction (tiny-bert, ${dtype}) stays within cosine ${min} of the PyTorch sentence embeddings`, async () => {
      const ex = await tjs.pipeline('feature-extraction', 'tiny-bert', { dtype });
      try {
        const gb = g['tiny-bert']!;
        const out = await ex(gb['texts'] as string[], { pooling: 'mean', normalize: true });
        const ref = gb['mean_pooled_normalized'] as number[][];
        const data = out.data as Float32Array;
        for (let i = 0; i < ref.length; i++) {
          expect(cosine(data.subarray(i * 32, (i + 1) * 32), ref[i]!)).toBeGreaterThanOrEqual(min);
        }
      } finally {
        await ex.dispose();
      }
    });

    it(`sequence classification (tiny-bert-nli, ${dtype}) gives logits close to PyTorch's`, async () => {
      const gn = g['tiny-bert-nli']!;
      const tok = await tjs.AutoTokenizer.from_pretrained('tiny-bert-nli');
      const model = await tjs.AutoModelForSequenceClassification.from_pretrained('tiny-bert-nli', { dtype });
      try {
        const premises = gn['premises'] as string[];
        const enc = tok(premises, {
          text_pair: premises.map(() => gn['hypothesis'] as string),
          padding: true,
        });
        expect(flat(enc.input_ids.tolist()).map(Number)).toEqual(flat(gn['input_ids']));
        const { logits } = await model(enc);
        expect(cosine(logits.data as Float32Array, flat(gn['logits']))).toBeGreaterThanOrEqual(min);
      } finally {
        await model.dispose();
      }
    });

    it(`causal LM (tiny-gpt2, ${dtype}) gives token log-probs close to PyTorch's`, async () => {
      const text = (
        g['tiny-gpt2']!['texts'] as { text: string; input_ids: number[]; token_logprobs: number[] }[]
      )[0]!;
      const tok = await tjs.AutoTokenizer.from_pretrained('tiny-gpt2');
      const model = await tjs.AutoModelForCausalLM.from_pretrained('tiny-gpt2', { dtype });
      try {
        const enc = tok(text.text);
        const { logits } = await model(enc);
        const [, T, V] = logits.dims as [number, number, number];
        const data = logits.data as Float32Array;
        const lp: number[] = [];
        for (let t = 0; t < T - 1; t++) {
          const row = data.subarray(t * V, (t + 1) * V);
          const mx = Math.max(...row);
          const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
          lp.push(row[text.input_ids[t + 1]!]! - lse);
        }
        const err = Math.max(...lp.map((v, i) => Math.abs(v - text.token_logprobs[i]!)));
        expect(err).toBeLessThan(dtype === 'q8' ? 0.01 : 0.05);
      } finally {
        await model.dispose();
      }
    });

    it(`CLIP text and vision towers (tiny-clip, ${dtype}) load and embed close to PyTorch`, async () => {
      const gc = g['tiny-clip']!;
      const tok = await tjs.AutoTokenizer.from_pretrained('tiny-clip');
      const text = await tjs.CLIPTextModelWithProjection.from_pretrained('tiny-clip', { dtype });
      const vision = await tjs.CLIPVisionModelWithProjection.from_pretrained('tiny-clip', { dtype });
      const processor = await tjs.AutoProcessor.from_pretrained('tiny-clip');
      try {
        const t = await text(tok(gc['texts'] as string[], { padding: true }));
        expect(cosine(t.text_embeds.data as Float32Array, flat(gc['text_embeds']))).toBeGreaterThanOrEqual(
          dtype === 'q8' ? 0.999 : 0.97,
        );
        const images = await Promise.all(
          (gc['images'] as string[]).map((f) => tjs.RawImage.read(join(HF_TINY, f))),
        );
        const v = await vision(await processor(images));
        expect(cosine(v.image_embeds.data as Float32Array, flat(gc['image_embeds']))).toBeGreaterThanOrEqual(
          min,
        );
      } finally {
        await text.dispose();
        await vision.dispose();
      }
    });
  }
});
