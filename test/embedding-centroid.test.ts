import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DetectorState } from '../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../src/detectors/embedding/embedding-centroid-detector.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { BotlensError } from '../src/errors/botlens-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { NotFittedError } from '../src/errors/not-fitted-error.js';
import { computeMetrics } from '../src/eval/metrics.js';
import { seededRandom } from '../src/numeric/random.js';
import type { Embedder } from '../src/runtime/embedder.js';
import { HashingEmbedder } from '../src/runtime/hashing-embedder.js';
import { runDetectorConformance } from '../src/testing/index.js';
import { nativeLibsAfter } from './helpers/native-libs.js';
import { CONVAI_DIR, describeWithShared, HAS_SHARED, HF_TINY, SHARED_SKIP_REASON } from './helpers/shared.js';
import { chat } from './helpers/transcripts.js';

const BOT_LINES = [
  'Hello ! How are you today ?',
  "i 'm doing well . what do you do for a living ?",
  'I love to read books . What is your favorite book ?',
  'That sounds great . I like to go hiking with my dog .',
  "i 'm a teacher . do you have any pets ?",
  'I love to read . I also like to play video games .',
  'What is your favorite color ? Mine is blue .',
  "i 'm not sure what you mean . do you like music ?",
];
const HUMAN_LINES = [
  'hey whats up',
  'lol yeah',
  'i was at the beach all day, so tired now',
  'wait what do you mean',
  'my sister has two cats and they hate me haha',
  'ok',
  'Honestly I never thought about it that way',
  'nah not really, you?',
  'omg same',
  'brb getting coffee',
];

/** A human-bot conversation; both speakers become a labelled example (as in the ConvAI data). */
function conversation(seed: number): Transcript {
  const r = seededRandom(seed);
  const pick = (xs: string[]) => xs[Math.floor(r() * xs.length)]!;
  const messages: Transcript['messages'] = [];
  const turns = 3 + Math.floor(r() * 3);
  for (let i = 0; i < turns; i++) {
    messages.push({ speaker: 'human', text: pick(HUMAN_LINES) });
    messages.push({ speaker: 'bot', text: pick(BOT_LINES) });
  }
  return { messages };
}

function labelled(n: number, seed = 1): LabelledTranscript[] {
  const out: LabelledTranscript[] = [];
  for (let i = 0; i < n; i++) {
    const c = conversation(seed * 1000 + i);
    out.push({ ...c, target: 'bot', label: 'bot' }, { ...c, target: 'human', label: 'human' });
  }
  return out;
}

const TRAIN = labelled(30);
const BOTLIKE = chat('x', ['y: hi there', "x: Hello ! i 'm a teacher . What is your favorite book ?"]);
const HUMANLIKE = chat('x', [
  'y: Hello ! How are you ?',
  'x: lol yeah i was at the beach, so tired now haha',
]);
const EMPTY_TARGET = chat('x', ['y: hello?', 'x: ', 'x:    ']);

async function fitted(options: ConstructorParameters<typeof EmbeddingCentroidDetector>[0] = {}) {
  const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 4096 }), ...options });
  await d.fit(TRAIN);
  return d;
}

describe('EmbeddingCentroidDetector', () => {
  it('refuses to detect before fit() or fromJSON(), saying which to call', async () => {
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
    expect(d.fitted).toBe(false);
    const err = await d.detect(BOTLIKE).catch((e: unknown) => e);
    expect(NotFittedError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/fit\(/);
    expect((err as Error).message).toMatch(/fromJSON/);
  });

  it('tells bot-style text from human-style text after fitting, with evidence', async () => {
    const d = await fitted();
    expect(d.fitted).toBe(true);
    expect(d.searchMethod).toBe('exact');
    const bot = await d.detect(BOTLIKE);
    const human = await d.detect(HUMANLIKE);
    expect(bot.label).toBe('bot');
    expect(human.label).toBe('human');
    expect(bot.score!).toBeGreaterThan(0.8);
    expect(human.score!).toBeLessThan(0.2);
    const names = bot.evidence.map((e) => e.name);
    expect(names).toEqual([
      'cos_bot_centroid',
      'cos_human_centroid',
      'centroid_margin',
      'knn_bot_share',
      'nearest_examples',
      'probe_logit',
    ]);
    const byName = Object.fromEntries(bot.evidence.map((e) => [e.name, e]));
    expect(byName['cos_bot_centroid']!.value as number).toBeGreaterThan(
      byName['cos_human_centroid']!.value as number,
    );
    expect(byName['knn_bot_share']!.value as number).toBeGreaterThan(0.8);
    const nearest = byName['nearest_examples']!.value as { label: string; similarity: number }[];
    expect(nearest).toHaveLength(10);
    expect(nearest[0]!.label).toBe('bot');
    expect(nearest[0]!.similarity).toBeGreaterThanOrEqual(nearest[9]!.similarity);
    for (const e of bot.evidence) expect(e.sentence.length).toBeGreaterThan(10);
  });

  it('abstains when the target sent no text', async () => {
    const d = await fitted();
    const r = await d.detect(EMPTY_TARGET);
    expect(r.score).toBeNull();
    expect(r.label).toBeNull();
    expect(r.evidence[0]!.sentence).toMatch(/no text/);
  });

  it('saves and restores its fitted state with identical scores', async () => {
    const d = await fitted();
    const json = JSON.stringify(d.toJSON());
    const state = JSON.parse(json) as DetectorState;
    expect(state.kind).toBe('embedding');
    const restored = EmbeddingCentroidDetector.fromJSON(state);
    const again = EmbeddingCentroidDetector.fromJSON(state, { embedder: new HashingEmbedder({ dim: 4096 }) });
    expect(restored.fitted).toBe(true);
    for (const t of [BOTLIKE, HUMANLIKE, ...labelled(5, 7)]) {
      const a = await d.detect(t);
      expect((await restored.detect(t)).score).toBe(a.score);
      expect((await again.detect(t)).evidence).toEqual(a.evidence);
    }
    expect(JSON.stringify(restored.toJSON())).toBe(json);
  });

  it('refuses to load state with a different embedder, naming both ids', () => {
    const state = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 4096 }) }).toJSON();
    const err = (() => {
      try {
        EmbeddingCentroidDetector.fromJSON(state, { embedder: new HashingEmbedder({ dim: 1024 }) });
      } catch (e) {
        return e;
      }
    })();
    expect(InvalidOptionsError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain('hashing-v1:dim=4096');
    expect((err as Error).message).toContain('hashing-v1:dim=1024');
  });

  it('refuses an embedder with another id on a fitted detector, and vectors of another size', async () => {
    const d = await fitted();
    const state = d.toJSON();
    // Same id but other vector length: an embedder that lies about its settings.
    const liar: Embedder = {
      id: new HashingEmbedder({ dim: 4096 }).id,
      embed: async (texts) => texts.map(() => new Float32Array(100).fill(0.1)),
    };
    const withLiar = EmbeddingCentroidDetector.fromJSON(state, { embedder: liar });
    const err = await withLiar.detect(BOTLIKE).catch((e: unknown) => e);
    expect(BotlensError.isInstance(err) && err.code === 'DIMENSION_MISMATCH').toBe(true);
    expect(() => EmbeddingCentroidDetector.fromJSON({ ...state, version: 99 })).toThrow(/version/);
    expect(() => EmbeddingCentroidDetector.fromJSON({ kind: 'heuristic', version: 1 })).toThrow(
      InvalidOptionsError,
    );
  });

  it('uses the HNSW index when asked (and above annMinExamples for dense vectors), with the same answers', async () => {
    const exact = await fitted({ useAnn: false });
    const ann = await fitted({ useAnn: true });
    expect(ann.searchMethod).toBe('hnsw');
    expect(exact.searchMethod).toBe('exact');
    for (const t of [BOTLIKE, HUMANLIKE]) {
      const a = await exact.detect(t);
      const b = await ann.detect(t);
      expect(b.score!).toBeCloseTo(a.score!, 4);
      const ids = (x: typeof a) =>
        (x.evidence.find((e) => e.name === 'nearest_examples')!.value as unknown[]).length;
      expect(ids(b)).toBe(ids(a));
    }
    // 'auto': dense vectors (a small hashing space is dense) at or above annMinExamples go to HNSW...
    const auto = await fitted({ embedder: new HashingEmbedder({ dim: 64 }), annMinExamples: 20 });
    expect(auto.searchMethod).toBe('hnsw');
    // ...sparse ones stay exact however many there are.
    expect((await fitted({ annMinExamples: 20 })).searchMethod).toBe('exact');
    // The restored detector rebuilds the same HNSW index: identical scores.
    const restored = EmbeddingCentroidDetector.fromJSON(JSON.parse(JSON.stringify(ann.toJSON())));
    expect((await restored.detect(BOTLIKE)).score).toBe((await ann.detect(BOTLIKE)).score);
    await ann.dispose();
    await auto.dispose();
  });

  it('caps k at the size of the labelled set', async () => {
    const d = await fitted({ k: 1000 });
    const r = await d.detect(BOTLIKE);
    const nearest = r.evidence.find((e) => e.name === 'nearest_examples')!.value as unknown[];
    expect(nearest).toHaveLength(TRAIN.length);
  });

  it('works without the probe (centroids and kNN only)', async () => {
    const d = await fitted({ probe: false });
    expect((await d.detect(BOTLIKE)).label).toBe('bot');
    expect((await d.detect(HUMANLIKE)).label).toBe('human');
    expect((await d.detect(BOTLIKE)).evidence.some((e) => e.name === 'probe_logit')).toBe(false);
    const restored = EmbeddingCentroidDetector.fromJSON(JSON.parse(JSON.stringify(d.toJSON())));
    expect((await restored.detect(BOTLIKE)).score).toBe((await d.detect(BOTLIKE)).score);
  });

  it('fits the probe on a stratified sample when there are more examples than probeMaxExamples', async () => {
    const d = await fitted({ probeMaxExamples: 20 });
    const state = d.toJSON() as unknown as {
      model: { training: { probeExamples: number; examples: number } };
    };
    expect(state.model.training.probeExamples).toBe(20);
    expect(state.model.training.examples).toBe(TRAIN.length);
    expect((await d.detect(BOTLIKE)).label).toBe('bot');
    expect((await d.detect(HUMANLIKE)).label).toBe('human');
  });

  it('rejects bad options, too few examples, bad transcripts and aborted signals', async () => {
    for (const bad of [
      { k: 0 },
      { threshold: 2 },
      { useAnn: 'yes' },
      { folds: 1 },
      { probeL2: -1 },
      { name: '' },
    ]) {
      expect(
        () => new EmbeddingCentroidDetector({ embedder: new HashingEmbedder(), ...(bad as object) }),
      ).toThrow(InvalidOptionsError);
    }
    expect(() => new EmbeddingCentroidDetector({ embedder: {} as Embedder })).toThrow(/Embedder/);
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });
    await expect(d.fit(TRAIN.filter((t) => t.label === 'bot'))).rejects.toThrow(/at least 2 bot and 2 human/);
    await expect(d.fit([{ ...TRAIN[0]!, label: 'robot' as 'bot' }, ...TRAIN])).rejects.toThrow(
      InvalidTranscriptError,
    );
    const ready = await fitted();
    await expect(ready.detect({ messages: [] })).rejects.toThrow(InvalidTranscriptError);
    const ac = new AbortController();
    ac.abort();
    await expect(ready.detect(BOTLIKE, { signal: ac.signal })).rejects.toSatisfy((e) =>
      AbortedError.isInstance(e),
    );
    await expect(d.fit(TRAIN, { signal: ac.signal })).rejects.toSatisfy((e) => AbortedError.isInstance(e));
  });

  it('keeps the detector contract (conformance suite)', async () => {
    const report = await runDetectorConformance({
      create: () => new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 2048 }) }),
      transcript: BOTLIKE,
      abstainTranscript: EMPTY_TARGET,
      fitExamples: TRAIN,
      fromJSON: (s) => EmbeddingCentroidDetector.fromJSON(s),
      tolerance: 0,
    });
    const failed = report.checks.filter((c) => !c.ok);
    expect(failed).toEqual([]);
    expect(report.passed).toBe(true);
  });

  it('loads no native code (hnswlib, ONNX Runtime) on the exact-search path', () => {
    const libs = nativeLibsAfter(`
      const { EmbeddingCentroidDetector } = await import('./src/detectors/embedding/embedding-centroid-detector.ts');
      const { HashingEmbedder } = await import('./src/runtime/hashing-embedder.ts');
      const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });
      const ex = [];
      for (let i = 0; i < 6; i++) {
        const messages = [{ speaker: 'h', text: 'lol ok ' + i }, { speaker: 'b', text: 'Hello ! I am fine . ' + i }];
        ex.push({ messages, target: 'b', label: 'bot' }, { messages, target: 'h', label: 'human' });
      }
      await d.fit(ex);
      await d.detect(ex[0]);`);
    expect(libs).toEqual([]);
  });
});

describeWithShared(
  'EmbeddingCentroidDetector with its default TransformersEmbedder (tiny-bert fixture)',
  () => {
    if (!HAS_SHARED) console.warn(SHARED_SKIP_REASON);
    const model = resolve(HF_TINY, 'tiny-bert');

    it('imports and creates the transformer embedder on first use, fits dense vectors and round-trips', async () => {
      // Random weights: this checks the plumbing (lazy default embedder, dense vectors, saved id), not accuracy.
      const d = new EmbeddingCentroidDetector({ embedderOptions: { model, offline: true } });
      await d.fit(TRAIN);
      const r = await d.detect(BOTLIKE);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
      const state = JSON.parse(JSON.stringify(d.toJSON())) as DetectorState;
      expect(state['embedderId']).toMatch(/^transformers:tiny-bert:fp32:mean:norm/);
      expect((state['model'] as { vectors: { format: string } }).vectors.format).toBe('dense');
      // A local model is saved by folder name: restoring needs its location again.
      const restored = EmbeddingCentroidDetector.fromJSON(state, {
        embedderOptions: { model, offline: true },
      });
      expect((await restored.detect(BOTLIKE)).score).toBe(r.score);
      expect(() => EmbeddingCentroidDetector.fromJSON(state, { embedder: new HashingEmbedder() })).toThrow(
        /transformers:tiny-bert.*hashing-v1/,
      );
      await d.dispose();
      await restored.dispose();
    });
  },
);

describeWithShared('EmbeddingCentroidDetector on ConvAI (HashingEmbedder)', () => {
  if (!HAS_SHARED) console.warn(SHARED_SKIP_REASON);

  it('fitted on train, reaches F1 >= 0.90 and AUROC >= 0.975 on dev', async () => {
    const train = await readTranscriptsJsonl(`${CONVAI_DIR}/train.jsonl`);
    const dev = await readTranscriptsJsonl(`${CONVAI_DIR}/dev.jsonl`);
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
    await d.fit(train);
    const got = await d.detectBatch(dev);
    expect(got.every((x) => x.score !== null)).toBe(true);
    const m = computeMetrics(
      got.map((x) => x.score!),
      dev.map((t) => t.label),
    );
    expect(m.f1!).toBeGreaterThanOrEqual(0.9);
    expect(m.auroc!).toBeGreaterThanOrEqual(0.975);
  }, 120_000);
});
