import { describe, expect, it } from 'vitest';
import { nowMs, scored } from '../src/core/detection.js';
import type { Detection, Detector } from '../src/core/detector.js';
import type { Label, LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import { parseTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import { cutAfterTargetMessage } from '../src/ensemble/prefix-cut.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { bootstrapIntervals } from '../src/eval/bootstrap.js';
import { evaluateDetector } from '../src/eval/evaluate.js';

/** P(bot) = the number in the target's last message / 100, so every score is chosen by the test. */
class Reads implements Detector {
  constructor(readonly name = 'reads') {}
  async detect(t: Transcript): Promise<Detection> {
    const v = validateTranscript(t);
    const last = v.messages.filter((m) => m.speaker === v.target).at(-1)!;
    return scored(this.name, Number(last.text) / 100, 0.5, [], nowMs());
  }
}

function ex(label: Label, ...scores: number[]): LabelledTranscript {
  return {
    target: 'u',
    label,
    messages: scores.flatMap((s) => [
      { speaker: 'o', text: 'q' },
      { speaker: 'u', text: String(s) },
    ]),
  };
}

describe('evaluateDetector breakdowns', () => {
  const rows = [ex('bot', 90, 80), ex('bot', 30, 70), ex('human', 20, 10), ex('human', 60, 40)];
  const group = ['a', 'a', 'b', 'b'];

  it('reports metrics per group and per ensemble member', async () => {
    const e = new Ensemble([new Reads('one'), new Reads('two')]);
    const r = await evaluateDetector(e, rows, { groupBy: (_x, i) => group[i] });
    expect(r.by!['a']).toMatchObject({ n: 2, recall: 1, precision: 1, f1: 1, auroc: null });
    expect(r.by!['b']).toMatchObject({ n: 2, recall: null, precision: null, f1: null });
    expect(Object.keys(r.members!)).toEqual(['one', 'two']);
    expect(r.members!['one']).toMatchObject({ n: 4, f1: 1, auroc: 1, tprAt1Fpr: 1 });
  });

  it('cuts every transcript after the target’s K-th message with prefix', async () => {
    const r1 = await evaluateDetector(new Reads(), rows, { prefix: 1 });
    // First messages: bots 90, 30; humans 20, 60: one bot missed, one human flagged.
    expect(r1.confusion).toEqual({ tp: 1, fn: 1, tn: 1, fp: 1 });
    expect(r1.prefix).toEqual({ k: 1, skipped: 0 });
    const r2 = await evaluateDetector(new Reads(), [...rows, ex('bot', 99)], { prefix: 2 });
    expect(r2.confusion).toEqual({ tp: 2, fn: 0, tn: 2, fp: 0 });
    expect(r2.prefix).toEqual({ k: 2, skipped: 1 });
    await expect(evaluateDetector(new Reads(), rows, { prefix: 0 })).rejects.toThrow(InvalidOptionsError);
    await expect(evaluateDetector(new Reads(), rows, { prefix: 5 })).rejects.toThrow(/smaller prefix/);
  });

  it('adds seeded bootstrap intervals that contain the point estimate', async () => {
    const many = Array.from({ length: 40 }, (_, i) =>
      ex(i % 2 ? 'bot' : 'human', i % 2 ? 55 + (i % 40) : 45 - (i % 30) + (i % 7) * 3),
    );
    const a = await evaluateDetector(new Reads(), many, { ci: { resamples: 200, seed: 7 } });
    const b = await evaluateDetector(new Reads(), many, { ci: { resamples: 200, seed: 7 } });
    expect(a.ci).toEqual(b.ci);
    expect(a.ci!.f1![0]).toBeLessThanOrEqual(a.f1!);
    expect(a.ci!.f1![1]).toBeGreaterThanOrEqual(a.f1!);
    expect(a.ci!.auroc![0]).toBeLessThan(a.ci!.auroc![1]);
    expect(() => bootstrapIntervals([0.5], ['bot'], ['bot'], { resamples: 10_001 })).toThrow(/10000/);
  });

  it('refuses to measure nothing', async () => {
    await expect(evaluateDetector(new Reads(), [])).rejects.toThrow(/no labelled transcripts/);
  });
});

describe('prefix cuts and long transcripts in the reader', () => {
  it('cuts right after the target’s K-th message, or says there is none', () => {
    const t = ex('bot', 1, 2, 3);
    expect(cutAfterTargetMessage(t, 2)!.messages.map((m) => m.text)).toEqual(['q', '1', 'q', '2']);
    expect(cutAfterTargetMessage(t, 4)).toBeNull();
  });

  const long = JSON.stringify({
    ...ex('bot', ...Array.from({ length: 150 }, (_, i) => i % 100)),
    source: 's1',
  });

  it('rejects a record over 200 messages by default, accepts it under a raised limit, truncates on request', async () => {
    expect(() => parseTranscriptsJsonl(long)).toThrow(/more than 200 messages/);
    const [raised] = parseTranscriptsJsonl(long, 'x', { limits: { maxMessages: 400 }, fields: ['source'] });
    expect(raised!.messages).toHaveLength(300);
    expect(raised!.fields).toEqual({ source: 's1' });
    // Records validated under the raised limit go through evaluation and fitting unchanged.
    const r = await evaluateDetector(new Reads(), [
      raised!,
      ...parseTranscriptsJsonl(JSON.stringify(ex('human', 1))),
    ]);
    expect(r.n).toBe(2);
    const [cut] = parseTranscriptsJsonl(long, 'x', { truncate: true });
    expect(cut!.messages).toHaveLength(200);
    expect(cut!.messages.at(-1)!.text).toBe('49');
  });

  it('fits and judges records validated under a raised limit', async () => {
    const mk = (label: Label, i: number) =>
      JSON.stringify({
        target: 'u',
        label,
        messages: Array.from({ length: 300 }, (_, k) => ({
          speaker: k % 2 ? 'u' : 'o',
          text: label === 'bot' ? `Hello ! I like books . ${k + i}` : `lol ok ${k * i}`,
        })),
      });
    const text = Array.from({ length: 10 }, (_, i) => mk(i % 2 ? 'bot' : 'human', i)).join('\n');
    expect(() => parseTranscriptsJsonl(text)).toThrow(/more than 200/);
    const recs = parseTranscriptsJsonl(text, 'x', { limits: { maxMessages: 500 } });
    const e = new Ensemble([new HeuristicDetector()], { strategy: 'stacking' });
    await e.fit(recs);
    const r = await e.detect(recs[1]!);
    expect(r.support!.targetMessages).toBe(150);
    expect(r.score).not.toBeNull();
  });
});
