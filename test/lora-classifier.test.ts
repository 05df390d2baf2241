import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Transcript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { LoraClassifierDetector } from '../src/detectors/lora/lora-classifier-detector.js';
import type { LoraClassifierOptions } from '../src/detectors/lora/lora-options.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { NotFittedError } from '../src/errors/not-fitted-error.js';
import { runDetectorConformance } from '../src/testing/conformance.js';
import { CONVAI_DIR, describeWithShared, HF_TINY, readGolden } from './helpers/shared.js';
import { chat } from './helpers/transcripts.js';
import { useWorkDir } from './helpers/work-dir.js';

type Golden = { texts: string[]; base_logits: number[][]; peft_logits: number[][] };

function pBot(logits: number[]): number {
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  return e[1]! / (e[0]! + e[1]!);
}

const one = (text: string): Transcript => chat('x', ['y: hello?', `x: ${text}`]);

describe('LoraClassifierDetector options', () => {
  it('refuses bad options before loading anything', () => {
    expect(() => new LoraClassifierDetector({ threshold: 2 })).toThrow(InvalidOptionsError);
    expect(() => new LoraClassifierDetector({ adapters: ['a'], dtype: 'q8' })).toThrow(
      /merged into the fp32 model/,
    );
    expect(() => new LoraClassifierDetector({ maxLength: 1 })).toThrow(/maxLength/);
    expect(() => new LoraClassifierDetector({ adapters: [''] })).toThrow(/adapter folder paths/);
  });
});

describeWithShared('LoraClassifierDetector on the tiny fixtures', () => {
  const work = useWorkDir('botlens-lora-det-');
  const golden = readGolden<Golden>('tiny-bert-cls-lora');
  /** A LoRA classifier on an hf-tiny fixture, caching in the work folder. */
  const lora = (fixture: string, more: LoraClassifierOptions = {}) =>
    new LoraClassifierDetector({ model: resolve(HF_TINY, fixture), cacheDir: work.path('cache'), ...more });

  it('with the PEFT adapter it gives P(bot) = softmax(peft_logits), and the base alone softmax(base_logits)', async () => {
    const withAdapter = lora('tiny-bert-cls', { adapters: [resolve(HF_TINY, 'tiny-bert-cls-lora')] });
    const plain = lora('tiny-bert-cls');
    try {
      const ts = golden.texts.map(one);
      const a = await withAdapter.detectBatch(ts);
      const b = await plain.detectBatch(ts);
      golden.texts.forEach((_, i) => {
        expect(a[i]!.score!).toBeCloseTo(pBot(golden.peft_logits[i]!), 4);
        expect(b[i]!.score!).toBeCloseTo(pBot(golden.base_logits[i]!), 4);
        expect(a[i]!.detector).toBe('lora');
        expect(a[i]!.label).toBe(a[i]!.score! >= 0.5 ? 'bot' : 'human');
      });
      // detect() agrees with detectBatch(), and the order is kept.
      expect((await withAdapter.detect(ts[2]!)).score).toBeCloseTo(a[2]!.score!, 6);
      // Only the target's messages are read: the other speaker's text does not change the score.
      const other: Transcript = {
        target: 'x',
        messages: [
          { speaker: 'y', text: 'something else entirely' },
          { speaker: 'x', text: golden.texts[0]! },
        ],
      };
      expect((await withAdapter.detect(other)).score).toBeCloseTo(a[0]!.score!, 6);
    } finally {
      await withAdapter.dispose();
      await plain.dispose();
    }
  });

  it('passes the detector conformance suite (with an adapter, state round trip included)', async () => {
    const cacheDir = work.path('cache');
    const report = await runDetectorConformance({
      create: () =>
        new LoraClassifierDetector({
          model: resolve(HF_TINY, 'tiny-bert-cls'),
          adapters: [resolve(HF_TINY, 'tiny-bert-cls-lora')],
          cacheDir,
        }),
      transcript: one(golden.texts[1]!),
      abstainTranscript: {
        target: 'x',
        messages: [
          { speaker: 'y', text: 'hi' },
          { speaker: 'x', text: ' ' },
        ],
      },
      fromJSON: (state) => LoraClassifierDetector.fromJSON(state, { cacheDir }),
      tolerance: 1e-6,
    });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.some((c) => c.name === 'round-trips fitted state' && !c.skipped)).toBe(true);
  });

  it('reads the bot label from id2label (configurable), abstains on no text, validates input and honours abort', async () => {
    const base = resolve(HF_TINY, 'tiny-bert-cls');
    const human = new LoraClassifierDetector({
      model: base,
      botLabel: 'HUMAN',
      cacheDir: work.path('cache'),
    });
    const wrong = new LoraClassifierDetector({
      model: base,
      botLabel: 'robot',
      cacheDir: work.path('cache'),
    });
    try {
      const d = await human.detect(one(golden.texts[0]!));
      expect(d.score!).toBeCloseTo(1 - pBot(golden.base_logits[0]!), 4);
      await expect(wrong.detect(one('hi'))).rejects.toThrow(
        /"robot" is not one of the model's labels \(human, bot\)/,
      );
      const silent = await human.detect({ target: 'x', messages: [{ speaker: 'x', text: '   ' }] });
      expect(silent.score).toBeNull();
      expect(silent.evidence[0]!.sentence).toMatch(/wrote no text/);
      await expect(human.detect({ messages: [] } as unknown as Transcript)).rejects.toThrow(
        InvalidTranscriptError,
      );
      const ac = new AbortController();
      ac.abort();
      await expect(human.detect(one('hi'), { signal: ac.signal })).rejects.toSatisfy((e: unknown) =>
        AbortedError.isInstance(e),
      );
    } finally {
      await human.dispose();
      await wrong.dispose();
    }
  });

  it('a bare encoder needs fit(); fit trains a LoRA adapter whose state restores to the same scores', async () => {
    const train = (await readTranscriptsJsonl(join(CONVAI_DIR, 'train.jsonl'))).slice(0, 80);
    const dev = (await readTranscriptsJsonl(join(CONVAI_DIR, 'dev.jsonl'))).slice(0, 6);
    const det = lora('tiny-bert', { maxLength: 32, training: { epochs: 2, learningRate: 0.02 } });
    try {
      await expect(det.detect(dev[0]!)).rejects.toSatisfy((e: unknown) => NotFittedError.isInstance(e));
      await det.fit(train);
      expect(det.fitted).toBe(true);
      const scores = (await det.detectBatch(dev)).map((d) => d.score!);
      expect(scores.every((s) => s > 0 && s < 1)).toBe(true);
      const state = JSON.parse(JSON.stringify(det.toJSON()));
      expect(state).toMatchObject({ kind: 'lora', version: 1, maxLength: 32, adapters: [] });
      expect(state.trained.config).toMatchObject({
        r: 8,
        lora_alpha: 32,
        target_modules: ['query', 'value'],
      });
      const again = LoraClassifierDetector.fromJSON(state, { cacheDir: work.path('cache2') });
      try {
        const back = (await again.detectBatch(dev)).map((d) => d.score!);
        back.forEach((s, i) => {
          expect(s).toBeCloseTo(scores[i]!, 5);
        });
      } finally {
        await again.dispose();
      }
    } finally {
      await det.dispose();
    }
  });
});
