import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { ModelLoadError } from '../src/errors/model-load-error.js';
import { assertSameVocabulary } from '../src/runtime/causal-lm/vocabulary.js';
import { CausalLmScorer } from '../src/runtime/causal-lm-scorer.js';
import { loadedModels, loadTransformers } from '../src/runtime/load-model.js';
import { describeWithShared, HAS_SHARED, HF_TINY } from './helpers/shared.js';

interface GoldenText {
  text: string;
  input_ids: number[];
  token_logprobs: number[];
  perplexity: number;
  entropy_mean: number;
}

const TINY_GPT2 = resolve(HF_TINY, 'tiny-gpt2');

function goldens(): GoldenText[] {
  const g = JSON.parse(readFileSync(resolve(HF_TINY, 'goldens.json'), 'utf8')) as {
    'tiny-gpt2': { texts: GoldenText[] };
  };
  return g['tiny-gpt2'].texts;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('CausalLmScorer options (no model needed)', () => {
  it('rejects bad windowing and model options before loading anything', () => {
    expect(() => new CausalLmScorer({ windowTokens: 1 })).toThrow(InvalidOptionsError);
    expect(() => new CausalLmScorer({ windowTokens: 8, stride: 8 })).toThrow(InvalidOptionsError);
    expect(() => new CausalLmScorer({ stride: 0 })).toThrow(InvalidOptionsError);
    expect(() => new CausalLmScorer({ dtype: 'int3' as 'q8' })).toThrow(InvalidOptionsError);
  });

  it('defaults to the zoo perplexity model', () => {
    expect(new CausalLmScorer().model).toBe('Xenova/gpt2');
  });

  it('compares a pair of tokenizers once, and keeps rejecting a mismatched pair', () => {
    let reads = 0;
    const counted = (entries: [string, number][]) => ({
      get_vocab: () => {
        reads++;
        return new Map(entries);
      },
    });
    const [a, b] = [counted([['a', 0]]), counted([['a', 0]])];
    assertSameVocabulary(a, b, 'x', 'y');
    expect(reads).toBe(2);
    assertSameVocabulary(a, b, 'x', 'y');
    expect(reads).toBe(2);
    const c = counted([['a', 1]]);
    for (let i = 0; i < 2; i++) {
      expect(() => assertSameVocabulary(a, c, 'x', 'y')).toThrow(/do not share a tokenizer/);
    }
    expect(reads).toBe(6);
  });

  it('checks vocabularies token by token', () => {
    const vocab = (entries: [string, number][]) => ({ get_vocab: () => new Map(entries) });
    expect(() => assertSameVocabulary(vocab([['a', 0]]), vocab([['a', 0]]), 'x', 'y')).not.toThrow();
    expect(() => assertSameVocabulary(vocab([['a', 0]]), vocab([['a', 1]]), 'x', 'y')).toThrow(
      /do not share a tokenizer/,
    );
    expect(() =>
      assertSameVocabulary(
        vocab([['a', 0]]),
        vocab([
          ['a', 0],
          ['b', 1],
        ]),
        'x',
        'y',
      ),
    ).toThrow(InvalidOptionsError);
  });
});

describeWithShared('CausalLmScorer on tiny-gpt2', () => {
  const g = HAS_SHARED ? goldens() : [];
  let lm: CausalLmScorer;
  let q8: CausalLmScorer;

  beforeAll(async () => {
    lm = new CausalLmScorer({ model: TINY_GPT2 });
    q8 = new CausalLmScorer({ model: TINY_GPT2, dtype: 'q8' });
    await Promise.all([lm.load(), q8.load()]);
  });
  afterAll(async () => {
    await lm?.dispose();
    await q8?.dispose();
  });

  it('reproduces the PyTorch goldens: ids, per-token log-probs, perplexity and mean entropy', async () => {
    expect(g.length).toBe(4);
    for (const t of g) {
      const s = await lm.score(t.text);
      expect(s.ids).toEqual(t.input_ids);
      expect(s.logprobs.length).toBe(t.input_ids.length - 1);
      s.logprobs.forEach((lp, i) => {
        expect(Math.abs(lp - t.token_logprobs[i]!)).toBeLessThan(1e-4);
      });
      // The golden perplexity is a float32 exp of a float32 mean: compare relatively (1e-5 of ~850).
      expect(Math.abs(s.perplexity! - t.perplexity) / t.perplexity).toBeLessThan(1e-5);
      expect(Math.abs(Math.log(s.perplexity!) - Math.log(t.perplexity))).toBeLessThan(1e-4);
      expect(Math.abs(s.entropyMean! - t.entropy_mean)).toBeLessThan(1e-4);
      expect(s.entropies.length).toBe(s.logprobs.length);
    }
  });

  it('gives the same figures through tokenLogprobs, perplexity and entropyMean', async () => {
    const t = g[1]!;
    const { ids, logprobs } = await lm.tokenLogprobs(t.text);
    expect(ids).toEqual(t.input_ids);
    expect(await lm.perplexity(t.text)).toBe(Math.exp(-mean(logprobs)));
    expect(Math.abs((await lm.entropyMean(t.text)) - t.entropy_mean)).toBeLessThan(1e-4);
    expect(await lm.contextLength()).toBe(1024);
    expect(await lm.tokenize(t.text)).toEqual(t.input_ids);
  });

  it('scores long texts in sliding windows: every token once, with the context of its window', async () => {
    const windowed = new CausalLmScorer({ model: TINY_GPT2, windowTokens: 6, stride: 2 });
    try {
      const t = g[1]!; // 19 tokens
      const ids = t.input_ids;
      const s = await windowed.scoreIds(ids);
      expect(s.logprobs.length).toBe(ids.length - 1);
      for (let j = 1; j < ids.length; j++) {
        // The first window (begin = 0, 2, 4, ...) that reaches past token j scores it.
        const begin = Math.max(0, Math.ceil((j - 6 + 1) / 2) * 2);
        const alone = await lm.scoreIds(ids.slice(begin, Math.min(begin + 6, ids.length)));
        expect(s.logprobs[j - 1]).toBeCloseTo(alone.logprobs[j - 1 - begin]!, 10);
        expect(s.entropies[j - 1]).toBeCloseTo(alone.entropies[j - 1 - begin]!, 10);
      }
      // Tokens of the first window see the full prefix, so they equal the goldens.
      for (let i = 0; i < 5; i++) expect(Math.abs(s.logprobs[i]! - t.token_logprobs[i]!)).toBeLessThan(1e-4);
      // Later ones lost context, so at least one differs from the full-context value.
      expect(s.logprobs.slice(5).some((lp, i) => Math.abs(lp - t.token_logprobs[i + 5]!) > 1e-3)).toBe(true);
    } finally {
      await windowed.dispose();
    }
  });

  it('scores candidate next tokens exactly as scoring the extended sequence does', async () => {
    const prompt = 'Conversation:\nTarget: hi there! how are you doing today?\nAnswer:';
    const r = await lm.nextTokenDistribution(prompt, [' bot', ' human']);
    const promptIds = await lm.tokenize(prompt);
    for (let c = 0; c < 2; c++) {
      const first = r.tokenIds[c]![0]!;
      const ext = await lm.scoreIds([...promptIds, first]);
      expect(r.logprobs[c]).toBeCloseTo(ext.logprobs.at(-1)!, 10);
    }
    expect(r.logprobs[0]).not.toBeCloseTo(r.logprobs[1]!, 6);
  });

  it('sums whole-candidate log-probs over their tokens', async () => {
    const prompt = 'Answer:';
    const first = await lm.nextTokenDistribution(prompt, [' bot', ' human']);
    const seq = await lm.sequenceLogprobs(prompt, [' bot', ' human']);
    const promptIds = await lm.tokenize(prompt);
    expect(seq.tokenIds[0]!.length).toBe(1);
    expect(seq.tokenIds[1]!.length).toBeGreaterThan(1); // " human" is several tokens in the tiny vocabulary
    expect(seq.logprobs[0]).toBeCloseTo(first.logprobs[0]!, 10);
    const ext = await lm.scoreIds([...promptIds, ...seq.tokenIds[1]!]);
    const tail = ext.logprobs.slice(promptIds.length - 1);
    expect(seq.logprobs[1]).toBeCloseTo(
      tail.reduce((a, b) => a + b, 0),
      10,
    );
    expect(seq.logprobs[1]).toBeLessThan(first.logprobs[1]!);
  });

  it('computes the Binoculars ingredients: cross-entropy equals entropy for one model', async () => {
    const t = g[0]!;
    const c = await lm.crossScores(t.text, lm);
    expect(c.ids).toEqual(t.input_ids);
    c.logprobs.forEach((lp, i) => {
      expect(Math.abs(lp - t.token_logprobs[i]!)).toBeLessThan(1e-4);
    });
    expect(c.crossEntropies).toEqual(c.entropies);
    expect(Math.abs(mean(c.crossEntropies) - t.entropy_mean)).toBeLessThan(1e-4);
  });

  it('computes cross-entropy against a different observer (q8) that bounds its entropy (Gibbs)', async () => {
    const t = g[3]!;
    const c = await lm.crossScores(t.text, q8);
    const obs = await q8.score(t.text);
    c.logprobs.forEach((lp, i) => {
      expect(Math.abs(lp - t.token_logprobs[i]!)).toBeLessThan(1e-4);
    });
    expect(c.crossEntropies.length).toBe(c.logprobs.length);
    c.crossEntropies.forEach((ce, i) => {
      expect(ce).toBeGreaterThanOrEqual(obs.entropies[i]! - 1e-9);
    });
    // The q8 weights differ, so the cross-entropy is not the performer's own entropy.
    expect(c.crossEntropies.some((ce, i) => Math.abs(ce - c.entropies[i]!) > 1e-6)).toBe(true);
  });

  it('refuses a pair that does not share a tokenizer', async () => {
    const { AutoTokenizer } = await loadTransformers();
    const gpt2 = await AutoTokenizer.from_pretrained(TINY_GPT2, { local_files_only: true });
    // tiny-bart-nli was built from the same byte-level BPE vocabulary; tiny-bert has a WordPiece one.
    const bart = await AutoTokenizer.from_pretrained(resolve(HF_TINY, 'tiny-bart-nli'), {
      local_files_only: true,
    });
    const bert = await AutoTokenizer.from_pretrained(resolve(HF_TINY, 'tiny-bert'), {
      local_files_only: true,
    });
    expect(() => assertSameVocabulary(gpt2, bart, 'tiny-gpt2', 'tiny-bart-nli')).not.toThrow();
    expect(() => assertSameVocabulary(gpt2, bert, 'tiny-gpt2', 'tiny-bert')).toThrow(
      /do not share a tokenizer/,
    );
  });

  it('handles texts too short to score', async () => {
    const empty = await lm.score('');
    expect(empty).toEqual({ ids: [], logprobs: [], entropies: [], perplexity: null, entropyMean: null });
    await expect(lm.perplexity('')).rejects.toThrow(InvalidOptionsError);
    await expect(lm.entropyMean('')).rejects.toThrow(InvalidOptionsError);
  });

  it('rejects bad input with clear errors', async () => {
    await expect(lm.score(42 as unknown as string)).rejects.toThrow(InvalidOptionsError);
    await expect(lm.nextTokenDistribution('Answer:', [])).rejects.toThrow(/at least one candidate/);
    await expect(lm.nextTokenDistribution('Answer:', [''])).rejects.toThrow(InvalidOptionsError);
    await expect(lm.nextTokenDistribution('', [' bot'])).rejects.toThrow(/empty/);
    await expect(lm.nextTokenDistribution('hi '.repeat(1100), [' bot'])).rejects.toThrow(/context of 1024/);
    await expect(lm.scoreIds([1, 2, 99999])).rejects.toThrow(/outside the vocabulary/);
    const tooWide = new CausalLmScorer({ model: TINY_GPT2, windowTokens: 4096 });
    await expect(tooWide.score('hello there')).rejects.toThrow(/exceeds/);
    await tooWide.dispose();
  });

  it('honours an AbortSignal, before and during the work', async () => {
    const pre = new AbortController();
    pre.abort();
    await expect(lm.score('hello there', { signal: pre.signal })).rejects.toSatisfy(AbortedError.isInstance);
    const windowed = new CausalLmScorer({ model: TINY_GPT2, windowTokens: 4, stride: 1 });
    const mid = new AbortController();
    const p = windowed.score(g[1]!.text, { signal: mid.signal });
    mid.abort();
    await expect(p).rejects.toSatisfy(AbortedError.isInstance);
    await windowed.dispose();
  });

  it('reports a missing model folder as a ModelLoadError', async () => {
    const missing = new CausalLmScorer({ model: resolve(HF_TINY, 'no-such-model') });
    await expect(missing.score('hi')).rejects.toSatisfy(ModelLoadError.isInstance);
    await missing.dispose();
  });

  it('releases its model on dispose and cannot be used afterwards', async () => {
    const own = new CausalLmScorer({ model: TINY_GPT2, dtype: 'q8' });
    await own.load();
    const key = (await own.load()).key;
    const refs = () => loadedModels().find((m) => m.key === key)?.refs ?? 0;
    const before = refs();
    await own.dispose();
    expect(refs()).toBe(before - 1);
    await expect(own.score('hi')).rejects.toThrow(/disposed/);
  });
});
