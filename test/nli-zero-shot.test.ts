import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Detection } from '../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { NliZeroShotDetector } from '../src/detectors/nli/nli-zero-shot-detector.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { ModelLoadError } from '../src/errors/model-load-error.js';
import { NliScorer } from '../src/runtime/nli-scorer.js';
import { runDetectorConformance } from '../src/testing/conformance.js';
import { expectCalibratedState, fitAndSave } from './helpers/saved-state.js';
import { CONVAI_DIR, describeWithShared, HF_TINY } from './helpers/shared.js';
import { chat } from './helpers/transcripts.js';

const LINES = [
  'hey, how was your weekend?',
  'Hello ! I am fine . What do you do for fun ?',
  'i went hiking with my dogs, it was great',
  'I like to read books . Do you have any pets ?',
  'yes two dogs, i just said that lol',
  'That is nice . I have a cat named Tom .',
];

function dialogue(n: number): Transcript {
  return {
    target: 'bot42',
    messages: Array.from({ length: n }, (_, i) => ({
      speaker: i % 2 === 0 ? 'alice' : 'bot42',
      text: `${LINES[i % LINES.length]} (${i})`,
    })),
  };
}

describe('NliZeroShotDetector options (no model needed)', () => {
  it('builds hypotheses from the template, labels and speaker', () => {
    const d = new NliZeroShotDetector();
    expect(d.hypotheses('bob')).toEqual({ bot: 'This speaker is bot.', human: 'This speaker is human.' });
    const e = new NliZeroShotDetector({
      hypothesisTemplate: '{speaker} is {}.',
      labels: { bot: 'a chatbot', human: 'a person' },
    });
    expect(e.hypotheses('bob')).toEqual({ bot: 'bob is a chatbot.', human: 'bob is a person.' });
  });

  it('rejects bad options', () => {
    expect(() => new NliZeroShotDetector({ hypothesisTemplate: 'no placeholder' })).toThrow(
      InvalidOptionsError,
    );
    expect(() => new NliZeroShotDetector({ labels: { bot: 'x', human: 'x' } })).toThrow(InvalidOptionsError);
    expect(() => new NliZeroShotDetector({ contextTurns: -1 })).toThrow(InvalidOptionsError);
    expect(() => new NliZeroShotDetector({ threshold: 2 })).toThrow(InvalidOptionsError);
    expect(() => NliZeroShotDetector.fromJSON({ kind: 'clip', version: 1 })).toThrow(InvalidOptionsError);
  });
});

describeWithShared('NliZeroShotDetector on the tiny NLI models', () => {
  const made: { dispose(): Promise<void> }[] = [];
  const track = <T extends { dispose(): Promise<void> }>(x: T): T => {
    made.push(x);
    return x;
  };
  afterAll(async () => {
    for (const d of made) await d.dispose();
  });

  for (const name of ['tiny-bert-nli', 'tiny-bart-nli']) {
    const model = join(HF_TINY, name);

    it(`${name}: windows fit the limit, cover every target message, and carry the scorer's logits`, async () => {
      const det = track(new NliZeroShotDetector({ model, maxLength: 64 }));
      const scorer = track(new NliScorer({ model, maxLength: 64 }));
      const t = dialogue(24);
      const a = (await det.analyze(t))!;
      expect(a.windows.length).toBeGreaterThan(2);
      const targetIdx = t.messages.map((m, i) => (m.speaker === 'bot42' ? i : -1)).filter((i) => i >= 0);
      expect([...new Set(a.windows.flatMap((w) => w.targetIndices))].sort((x, y) => x - y)).toEqual(
        targetIdx,
      );
      const info = await scorer.info();
      const overhead = Math.max(
        await scorer.pairOverhead(a.hypotheses.bot),
        await scorer.pairOverhead(a.hypotheses.human),
      );
      for (const w of a.windows) {
        expect(w.targetIndices.length).toBeGreaterThan(0);
        for (const i of w.targetIndices) expect(w.premise).toContain(`bot42: ${t.messages[i]!.text}`);
        const [n] = await scorer.countTokens([w.premise]);
        expect(n! + overhead).toBeLessThanOrEqual(info.maxLength);
        const [bot] = await scorer.logits([w.premise], a.hypotheses.bot);
        const [human] = await scorer.logits([w.premise], a.hypotheses.human);
        bot!.forEach((x, j) => {
          expect(Math.abs(x - w.botLogits[j]!)).toBeLessThan(1e-5);
        });
        human!.forEach((x, j) => {
          expect(Math.abs(x - w.humanLogits[j]!)).toBeLessThan(1e-5);
        });
        expect(w.score).toBeCloseTo(w.pBot / (w.pBot + w.pHuman), 12);
      }
      // the aggregate is the target-token-weighted mean log-odds
      const num = a.windows.reduce((s, w) => s + w.targetTokens * Math.log(w.pBot / w.pHuman), 0);
      const den = a.windows.reduce((s, w) => s + w.targetTokens, 0);
      expect(a.logOdds).toBeCloseTo(num / den, 9);
    });

    it(`${name}: scores lie in [0, 1], are deterministic, and detectBatch matches detect`, async () => {
      const det = track(new NliZeroShotDetector({ model, maxLength: 96 }));
      const ts = [dialogue(6), dialogue(17), dialogue(2)];
      const single: Detection[] = [];
      for (const t of ts) single.push(await det.detect(t));
      for (const d of single) {
        expect(d.score).toBeGreaterThanOrEqual(0);
        expect(d.score).toBeLessThanOrEqual(1);
        expect(d.detector).toBe('nli');
        expect(d.evidence.map((e) => e.name)).toContain('nli_log_odds');
      }
      const again = await det.detect(ts[1]!);
      expect(again.score).toBe(single[1]!.score);
      const batch = await det.detectBatch(ts);
      batch.forEach((b, i) => {
        expect(Math.abs(b.score! - single[i]!.score!)).toBeLessThan(1e-6);
      });
    });
  }

  it('a long single message is split so that all of it is read', async () => {
    const det = track(new NliZeroShotDetector({ model: join(HF_TINY, 'tiny-bert-nli'), maxLength: 40 }));
    const long = 'i love to go hiking with my dogs and read books about history '.repeat(12);
    const a = (await det.analyze({
      target: 'b',
      messages: [
        { speaker: 'a', text: 'hi' },
        { speaker: 'b', text: long },
      ],
    }))!;
    expect(a.windows.length).toBeGreaterThan(2);
    expect(a.windows.every((w) => w.targetIndices.join() === '1')).toBe(true);
    const pieces = a.windows.flatMap((w) => w.premise.split('\n')).filter((l) => l.startsWith('b: '));
    expect(pieces.map((l) => l.slice(3)).join(' ')).toBe(long.trim());
  });

  it('abstains when the target wrote no text, and rejects bad transcripts', async () => {
    const det = track(new NliZeroShotDetector({ model: join(HF_TINY, 'tiny-bert-nli') }));
    const d = await det.detect(chat('b', ['a: hi', 'b:    ']));
    expect(d.score).toBeNull();
    expect(d.evidence[0]!.sentence).toMatch(/wrote no text/);
    await expect(det.detect({ messages: [] } as Transcript)).rejects.toSatisfy((e) =>
      InvalidTranscriptError.isInstance(e),
    );
  });

  it('honours abort and reports a missing model', async () => {
    const det = track(new NliZeroShotDetector({ model: join(HF_TINY, 'tiny-bart-nli') }));
    const ac = new AbortController();
    ac.abort();
    await expect(det.detect(dialogue(4), { signal: ac.signal })).rejects.toSatisfy((e) =>
      AbortedError.isInstance(e),
    );
    const missing = new NliZeroShotDetector({ model: join(HF_TINY, 'missing-nli'), offline: true });
    await expect(missing.detect(dialogue(4))).rejects.toSatisfy((e) => ModelLoadError.isInstance(e));
  });

  it('fits a calibration on ConvAI examples and restores it with fromJSON', async () => {
    const rows = readFileSync(join(CONVAI_DIR, 'train.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, 16)
      .map((l) => JSON.parse(l) as LabelledTranscript);
    const det = track(new NliZeroShotDetector({ model: join(HF_TINY, 'tiny-bert-nli'), maxLength: 128 }));
    expect(det.fitted).toBe(false);
    const state = await fitAndSave(det, rows);
    expectCalibratedState(state, 'nli', { maxLength: 128 });
    const back = track(NliZeroShotDetector.fromJSON(state));
    expect(back.fitted).toBe(true);
    const [x, y] = [await det.detect(rows[0]!), await back.detect(rows[0]!)];
    expect(y.score).toBeCloseTo(x.score!, 9);
    await expect(det.fit(rows.filter((r) => r.label === 'bot'))).rejects.toThrow(InvalidOptionsError);
  });

  it('passes the detector conformance suite', async () => {
    const model = join(HF_TINY, 'tiny-bart-nli');
    const report = await runDetectorConformance({
      create: () => track(new NliZeroShotDetector({ model })),
      transcript: dialogue(6),
      abstainTranscript: {
        target: 'b',
        messages: [
          { speaker: 'a', text: 'hi' },
          { speaker: 'b', text: '' },
        ],
      },
      fromJSON: (s) => track(NliZeroShotDetector.fromJSON(s)),
      tolerance: 1e-6,
    });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
