import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Evidence } from '../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { PerplexityDiversityDetector } from '../src/detectors/perplexity/perplexity-diversity-detector.js';
import { DEFAULT_PERPLEXITY_COMBINATION } from '../src/detectors/perplexity/perplexity-options.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { sigmoid } from '../src/numeric/logistic-regression.js';
import { CausalLmScorer } from '../src/runtime/causal-lm-scorer.js';
import { loadedModels } from '../src/runtime/load-model.js';
import { compressionRatio } from '../src/text/lexical-diversity.js';
import { CONVAI_DIR, describeWithShared, HAS_SHARED, HF_TINY } from './helpers/shared.js';
import { chat } from './helpers/transcripts.js';

const TINY_GPT2 = resolve(HF_TINY, 'tiny-gpt2');

interface GoldenText {
  text: string;
  perplexity: number;
  entropy_mean: number;
}

function ev(evidence: Evidence[], name: string): Evidence {
  const e = evidence.find((x) => x.name === name);
  if (!e) throw new Error(`no evidence named ${name}`);
  return e;
}

function one(text: string): Transcript {
  return chat('b', ['a: hello, who is this?', `b: ${text}`]);
}

describe('PerplexityDiversityDetector options (no model needed)', () => {
  it('rejects bad options before loading anything', () => {
    expect(() => new PerplexityDiversityDetector({ unit: 'words' as 'joined' })).toThrow(InvalidOptionsError);
    expect(() => new PerplexityDiversityDetector({ threshold: 2 })).toThrow(InvalidOptionsError);
    expect(() => new PerplexityDiversityDetector({ l2: -1 })).toThrow(InvalidOptionsError);
    expect(() => new PerplexityDiversityDetector({ performer: { model: 'Xenova/gpt2' } })).toThrow(
      /observer/,
    );
    expect(() => new PerplexityDiversityDetector({ observer: { dtype: 'int2' as 'q8' } })).toThrow(
      InvalidOptionsError,
    );
    expect(() => new PerplexityDiversityDetector({ diversity: { mattrWindow: 0 } })).toThrow(
      InvalidOptionsError,
    );
    expect(() => new PerplexityDiversityDetector({ windowTokens: 1 })).toThrow(InvalidOptionsError);
  });

  it('lists Binoculars among its signals only with an observer', () => {
    expect(new PerplexityDiversityDetector().featureNames).not.toContain('binoculars');
    expect(
      new PerplexityDiversityDetector({ observer: { model: 'Xenova/distilgpt2' } }).featureNames,
    ).toContain('binoculars');
  });

  it('rejects state of another kind or version', () => {
    const s = new PerplexityDiversityDetector().toJSON();
    expect(() => PerplexityDiversityDetector.fromJSON({ ...s, kind: 'heuristic' })).toThrow(
      InvalidOptionsError,
    );
    expect(() => PerplexityDiversityDetector.fromJSON({ ...s, version: 99 })).toThrow(/version/);
    expect(() => PerplexityDiversityDetector.fromJSON({ ...s, weights: [1] })).toThrow(/state.weights/);
    expect(s['model']).toEqual({ model: 'Xenova/gpt2' });
  });
});

describeWithShared('PerplexityDiversityDetector on tiny-gpt2', () => {
  const golden: GoldenText[] = HAS_SHARED
    ? (
        JSON.parse(readFileSync(resolve(HF_TINY, 'goldens.json'), 'utf8')) as {
          'tiny-gpt2': { texts: GoldenText[] };
        }
      )['tiny-gpt2'].texts
    : [];
  let lm: CausalLmScorer;
  let det: PerplexityDiversityDetector;
  let train: LabelledTranscript[] = [];

  beforeAll(async () => {
    lm = new CausalLmScorer({ model: TINY_GPT2 });
    det = new PerplexityDiversityDetector({ model: TINY_GPT2 });
    const rows = await readTranscriptsJsonl(resolve(CONVAI_DIR, 'train.jsonl'));
    train = [
      ...rows.filter((r) => r.label === 'bot').slice(0, 12),
      ...rows.filter((r) => r.label === 'human').slice(0, 12),
    ];
  });
  afterAll(async () => {
    await lm?.dispose();
    await det?.dispose();
  });

  it('reports the perplexity and entropy of CausalLmScorer and of the goldens', async () => {
    for (const g of golden) {
      const d = await det.detect(one(g.text));
      const p = ev(d.evidence, 'perplexity');
      expect(p.value).toBe(await lm.perplexity(g.text));
      expect(Math.abs((p.value as number) - g.perplexity) / g.perplexity).toBeLessThan(1e-5);
      expect(Math.abs((ev(d.evidence, 'entropy_mean').value as number) - g.entropy_mean)).toBeLessThan(1e-4);
    }
  });

  it('finds a hub-style model id under modelDir (offline) and keeps modelDir in its state', async () => {
    const d = new PerplexityDiversityDetector({ model: 'tiny-gpt2', modelDir: HF_TINY });
    try {
      const r = await d.detect(one(golden[2]!.text));
      expect(ev(r.evidence, 'perplexity').value).toBe(await lm.perplexity(golden[2]!.text));
      expect(d.toJSON()['model']).toEqual({ model: 'tiny-gpt2', modelDir: HF_TINY });
    } finally {
      await d.dispose();
    }
  });

  it('joins the target messages with a line break, or averages per message', async () => {
    const texts = [golden[0]!.text, golden[2]!.text];
    const t: Transcript = {
      target: 'b',
      messages: [
        { speaker: 'b', text: texts[0]! },
        { speaker: 'a', text: 'ignored: not the target' },
        { speaker: 'b', text: texts[1]! },
      ],
    };
    const joined = await det.detect(t);
    expect(ev(joined.evidence, 'perplexity').value).toBe(await lm.perplexity(texts.join('\n')));
    const per = new PerplexityDiversityDetector({ model: TINY_GPT2, unit: 'per-message' });
    try {
      const d = await per.detect(t);
      const logs = await Promise.all(texts.map(async (x) => Math.log(await lm.perplexity(x))));
      expect(ev(d.evidence, 'perplexity').value as number).toBeCloseTo(
        Math.exp((logs[0]! + logs[1]!) / 2),
        9,
      );
      const ents = await Promise.all(texts.map((x) => lm.entropyMean(x)));
      expect(ev(d.evidence, 'entropy_mean').value as number).toBeCloseTo((ents[0]! + ents[1]!) / 2, 12);
    } finally {
      await per.dispose();
    }
  });

  it('reports hand-computed diversity figures', async () => {
    const messages = ['What do you do for fun ?', 'I like food . What do you do for fun ?'];
    const t: Transcript = {
      target: 'bot',
      messages: [
        { speaker: 'u', text: 'hey' },
        { speaker: 'bot', text: messages[0]! },
        { speaker: 'u', text: 'lol' },
        { speaker: 'bot', text: messages[1]! },
      ],
    };
    const d = await det.detect(t);
    expect(ev(d.evidence, 'distinct_1').value).toBeCloseTo(8 / 15, 12);
    expect(ev(d.evidence, 'distinct_2').value).toBeCloseTo(8 / 13, 12);
    expect(ev(d.evidence, 'type_token_ratio').value).toBeCloseTo(8 / 15, 12);
    expect(ev(d.evidence, 'self_repetition').value).toBeCloseTo(8 / 11, 12);
    expect(ev(d.evidence, 'compression_ratio').value).toBe(compressionRatio(messages.join('\n')));
  });

  it('combines the signals with the documented hand-set weights before fit()', async () => {
    const d = await det.detect(one(golden[1]!.text));
    const c = (name: string) => ev(d.evidence, name).contribution!;
    const lexical = ['distinct_1', 'distinct_2', 'type_token_ratio', 'compression_ratio'] as const;
    const ppl = ev(d.evidence, 'perplexity').value as number;
    const ref = DEFAULT_PERPLEXITY_COMBINATION.log_perplexity;
    expect(c('perplexity')).toBeCloseTo(ref.weight * (Math.log(ppl) - ref.reference), 9);
    for (const name of lexical) {
      const w = DEFAULT_PERPLEXITY_COMBINATION[name];
      expect(c(name)).toBeCloseTo(w.weight * ((ev(d.evidence, name).value as number) - w.reference), 12);
    }
    // A single message: self-repetition cannot be measured and contributes nothing.
    expect(ev(d.evidence, 'self_repetition').value).toBeNull();
    expect(c('self_repetition')).toBe(0);
    // Zero log-odds at the reference values, so the score is the sigmoid of the contributions.
    const z = d.evidence.reduce((s, e) => s + (e.contribution ?? 0), 0);
    expect(d.score).toBeCloseTo(sigmoid(z), 12);
    expect(d.label).toBe(d.score! >= 0.5 ? 'bot' : 'human');
    expect(det.fitted).toBe(false);
  });

  it('computes Binoculars, unused until fit(), then fits its threshold', async () => {
    const same = new PerplexityDiversityDetector({ model: TINY_GPT2, observer: { model: TINY_GPT2 } });
    const q8 = new PerplexityDiversityDetector({
      model: TINY_GPT2,
      observer: { model: TINY_GPT2, dtype: 'q8' },
    });
    const obs = new CausalLmScorer({ model: TINY_GPT2, dtype: 'q8' });
    try {
      const g = golden[0]!;
      // Observer = performer: the cross-entropy is the entropy, so B = log-perplexity / mean entropy.
      const b = ev((await same.detect(one(g.text))).evidence, 'binoculars');
      expect(b.value as number).toBeCloseTo(Math.log(g.perplexity) / g.entropy_mean, 4);
      expect(b.contribution).toBe(0);
      expect(b.sentence).toMatch(/not used until fit/);
      const d = await q8.detect(one(g.text));
      const c = await lm.crossScores(g.text, obs);
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
      expect(ev(d.evidence, 'binoculars').value as number).toBeCloseTo(
        -mean(c.logprobs) / mean(c.crossEntropies),
        12,
      );
      expect(ev(d.evidence, 'perplexity').value).toBe(await lm.perplexity(g.text));

      await q8.fit(train);
      const state = q8.toJSON();
      expect(typeof state['binocularsThreshold']).toBe('number');
      const after = ev((await q8.detect(one(g.text))).evidence, 'binoculars');
      expect(after.sentence).toMatch(/fitted threshold/);
      expect(after.contribution).not.toBe(0);
      // State fitted with an observer does not load into a detector without one.
      expect(() => PerplexityDiversityDetector.fromJSON({ ...state, observer: undefined } as never)).toThrow(
        /state.features/,
      );
    } finally {
      await Promise.all([same.dispose(), q8.dispose(), obs.dispose()]);
    }
  });

  it('fits by logistic regression and round-trips through JSON with identical scores', async () => {
    const d = new PerplexityDiversityDetector({ model: TINY_GPT2 });
    try {
      const before = await d.detect(train[0]!);
      await d.fit(train);
      expect(d.fitted).toBe(true);
      const after = await d.detect(train[0]!);
      expect(after.score).not.toBe(before.score);
      const state = JSON.parse(JSON.stringify(d.toJSON()));
      const restored = PerplexityDiversityDetector.fromJSON(state);
      try {
        expect(restored.fitted).toBe(true);
        expect(restored.toJSON()).toEqual(state);
        for (const t of train.slice(0, 6)) {
          const [a, b] = [await d.detect(t), await restored.detect(t)];
          expect(b.score).toBe(a.score);
          expect(b.evidence).toEqual(a.evidence);
        }
      } finally {
        await restored.dispose();
      }
    } finally {
      await d.dispose();
    }
  });

  it('needs both classes to fit and names a bad example', async () => {
    const bots = train.filter((t) => t.label === 'bot');
    await expect(det.fit(bots)).rejects.toThrow(/at least one bot and one human/);
    const bad = [train[0]!, { ...train[1]!, label: 'robot' } as unknown as LabelledTranscript];
    await expect(det.fit(bad)).rejects.toThrow(/examples\[1\]\.label/);
    await expect(det.fit([train[0]!, { messages: [] } as unknown as LabelledTranscript])).rejects.toSatisfy(
      InvalidTranscriptError.isInstance,
    );
    expect(det.fitted).toBe(false);
  });

  it('abstains when the target wrote no text', async () => {
    const d = await det.detect(chat('b', ['a: hello?', 'b:    ', 'b: ']));
    expect(d.score).toBeNull();
    expect(d.label).toBeNull();
    expect(d.evidence[0]!.name).toBe('abstained');
  });

  it('rejects bad transcripts', async () => {
    await expect(det.detect({ messages: [] })).rejects.toSatisfy(InvalidTranscriptError.isInstance);
    await expect(det.detect(null as unknown as Transcript)).rejects.toSatisfy(
      InvalidTranscriptError.isInstance,
    );
    await expect(det.detectBatch('x' as unknown as Transcript[])).rejects.toThrow(InvalidOptionsError);
  });

  it('honours an AbortSignal in detect, detectBatch and fit', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(det.detect(one('hi there'), { signal: ac.signal })).rejects.toSatisfy(
      AbortedError.isInstance,
    );
    await expect(det.detectBatch([one('hi there')], { signal: ac.signal })).rejects.toSatisfy(
      AbortedError.isInstance,
    );
    await expect(det.fit(train, { signal: ac.signal })).rejects.toSatisfy(AbortedError.isInstance);
    const mid = new AbortController();
    const p = det.fit(train, { signal: mid.signal });
    setTimeout(() => mid.abort(), 5);
    await expect(p).rejects.toSatisfy(AbortedError.isInstance);
  });

  it('judges a batch exactly as one by one', async () => {
    const ts = train.slice(0, 4);
    const batch = await det.detectBatch(ts);
    for (let i = 0; i < ts.length; i++) {
      const single = await det.detect(ts[i]!);
      expect(batch[i]!.score).toBe(single.score);
    }
  });

  it('releases its models on dispose', async () => {
    const d = new PerplexityDiversityDetector({
      model: TINY_GPT2,
      dtype: 'q8',
      observer: { model: TINY_GPT2, dtype: 'q8' },
    });
    await d.detect(one('hi there'));
    const key = loadedModels().find((m) => m.key.includes('tiny-gpt2') && m.key.includes('q8'))?.key;
    expect(key).toBeDefined();
    const refs = () => loadedModels().find((m) => m.key === key)?.refs ?? 0;
    const before = refs();
    await d.dispose();
    expect(refs()).toBe(before - 2); // the main model and the observer
  });
});
