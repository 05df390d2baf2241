import { describe, expect, it } from 'vitest';
import { abstained, nowMs, scored } from '../src/core/detection.js';
import type { Detection, DetectOptions, Detector } from '../src/core/detector.js';
import type { Label, LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import { calibrateThreshold } from '../src/ensemble/calibrate.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { evaluateDetector } from '../src/eval/evaluate.js';
import {
  auroc,
  computeMetrics,
  confusionCounts,
  expectedCalibrationError,
  tprAtFpr,
} from '../src/eval/metrics.js';

// The worked example used throughout (4 bots, 4 humans):
//   score: 0.9  0.8  0.7    0.6  0.55   0.4  0.3    0.1
//   label: bot  bot  human  bot  human  bot  human  human
const S = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.1];
const L: Label[] = ['bot', 'bot', 'human', 'bot', 'human', 'bot', 'human', 'human'];

describe('computeMetrics on the worked example', () => {
  const m = computeMetrics(S, L, { threshold: 0.5 });

  it('counts the confusion matrix at threshold 0.5', () => {
    // Labelled bot (score >= 0.5): 0.9 b, 0.8 b, 0.7 h, 0.6 b, 0.55 h -> tp 3, fp 2.
    // Labelled human: 0.4 b, 0.3 h, 0.1 h -> fn 1, tn 2.
    expect(m.confusion).toEqual({ tp: 3, fp: 2, tn: 2, fn: 1 });
    expect([m.n, m.positives, m.negatives]).toEqual([8, 4, 4]);
  });

  it('derives precision, recall, F1 and accuracy', () => {
    expect(m.precision).toBeCloseTo(3 / 5, 12); // tp / (tp + fp) = 3 / 5 = 0.6
    expect(m.recall).toBeCloseTo(3 / 4, 12); // tp / (tp + fn) = 3 / 4 = 0.75
    expect(m.f1).toBeCloseTo(6 / 9, 12); // 2tp / (2tp + fp + fn) = 6 / 9 = 0.6667
    expect(m.accuracy).toBeCloseTo(5 / 8, 12); // (tp + tn) / n = 5 / 8 = 0.625
  });

  it('computes AUROC over all bot/human pairs', () => {
    // Humans outscored by each bot: 0.9 -> 4, 0.8 -> 4, 0.6 -> 3 (0.55, 0.3, 0.1), 0.4 -> 2 (0.3, 0.1).
    // (4 + 4 + 3 + 2) / (4 * 4) = 13 / 16 = 0.8125
    expect(m.auroc).toBeCloseTo(13 / 16, 12);
  });

  it('computes TPR at 1% and 5% FPR on the same scores', () => {
    // 4 humans: floor(0.01 * 4) = floor(0.05 * 4) = 0 false positives allowed, so the threshold is the
    // smallest score above the top human (0.7): 0.8. Bots >= 0.8: 0.9, 0.8 -> TPR 2 / 4 = 0.5.
    expect(m.tprAt1Fpr).toBeCloseTo(0.5, 12);
    expect(m.tprAt5Fpr).toBeCloseTo(0.5, 12);
  });

  it('computes the expected calibration error over 10 equal-width bins', () => {
    // One example per bin, so ECE = mean |label - score|:
    // |1-0.9| + |1-0.8| + |0-0.7| + |1-0.6| + |0-0.55| + |1-0.4| + |0-0.3| + |0-0.1|
    // = 0.1 + 0.2 + 0.7 + 0.4 + 0.55 + 0.6 + 0.3 + 0.1 = 2.95; 2.95 / 8 = 0.36875
    expect(m.ece).toBeCloseTo(0.36875, 12);
  });

  it('uses given predicted labels instead of the threshold', () => {
    const predicted: Label[] = ['bot', 'bot', 'bot', 'bot', 'bot', 'bot', 'bot', 'bot'];
    const all = computeMetrics(S, L, { predicted });
    expect(all.confusion).toEqual({ tp: 4, fp: 4, tn: 0, fn: 0 });
    expect(all.precision).toBeCloseTo(0.5, 12); // 4 / 8
    expect(all.auroc).toBeCloseTo(13 / 16, 12); // ranking metrics still use the scores
  });
});

describe('metric functions', () => {
  it('gives tied scores their average rank in AUROC', () => {
    // 0.2 h gets rank 1; the three 0.5s share ranks 2, 3, 4 -> 3 each.
    // Bot rank sum = 3 + 3 = 6; U = 6 - 2 * 3 / 2 = 3; AUROC = 3 / (2 * 2) = 0.75
    // (each bot ties the 0.5 human, 1/2, and beats the 0.2 human, 1: (1.5 + 1.5) / 4).
    expect(auroc([0.5, 0.5, 0.5, 0.2], ['bot', 'human', 'bot', 'human'])).toBeCloseTo(0.75, 12);
    // All scores equal: every pair ties -> 0.5.
    expect(auroc([0.3, 0.3, 0.3], ['bot', 'human', 'human'])).toBeCloseTo(0.5, 12);
  });

  it('allows floor(fpr * humans) false positives in TPR at FPR', () => {
    // fpr 0.25 with 4 humans: floor(1) = 1 false positive allowed; the 2nd highest human is 0.55, so the
    // threshold is the smallest score above it, 0.6. Bots >= 0.6: 0.9, 0.8, 0.6 -> 3 / 4.
    expect(tprAtFpr(S, L, 0.25)).toBeCloseTo(0.75, 12);
    const c = calibrateThreshold(S, L, { fpr: 0.25 });
    expect(c).toMatchObject({ threshold: 0.6, fpr: 0.25, tpr: 0.75, met: true, negatives: 4, positives: 4 });
  });

  it('reports TPR 0 when humans scoring 1 make the FPR target unreachable', () => {
    // Human at 1.0 with 0 false positives allowed: no threshold in [0, 1] keeps it out.
    const scores = [1, 1, 0.2];
    const labels: Label[] = ['human', 'bot', 'human'];
    expect(tprAtFpr(scores, labels, 0.01)).toBe(0);
    const c = calibrateThreshold(scores, labels, { fpr: 0.01 });
    expect(c.met).toBe(false);
    expect(c.fpr).toBeCloseTo(0.5, 12); // threshold 1 still lets the 1.0 human through: 1 / 2
  });

  it('bins a score of 1 into the last ECE bin and averages within a bin', () => {
    // Bin 9 holds 1.0 (bot) and 0.95 (human): mean score 0.975, bot rate 0.5 -> |0.5 - 0.975| = 0.475.
    expect(expectedCalibrationError([1, 0.95], ['bot', 'human'])).toBeCloseTo(0.475, 12);
    // Bin 1 holds 0.12 h, 0.18 b, 0.15 b: mean score 0.15, bot rate 2/3 -> |2/3 - 0.15| = 0.516667.
    expect(expectedCalibrationError([0.12, 0.18, 0.15], ['human', 'bot', 'bot'])).toBeCloseTo(
      2 / 3 - 0.15,
      12,
    );
    // Two bins: 5 equal-width bins put 0.1 in bin 0 and 0.5 in bin 2: (|0-0.1| + |1-0.5|) / 2 = 0.3.
    expect(expectedCalibrationError([0.1, 0.5], ['human', 'bot'], { bins: 5 })).toBeCloseTo(0.3, 12);
  });

  it('returns null, not a guess, for metrics undefined on the data', () => {
    const m = computeMetrics([0.2, 0.3], ['human', 'human'], { threshold: 0.5 });
    expect(m.precision).toBeNull(); // nothing labelled bot
    expect(m.recall).toBeNull(); // no bots
    expect(m.f1).toBeNull(); // tp + fp + fn = 0
    expect(m.accuracy).toBe(1);
    expect(m.auroc).toBeNull();
    expect(m.tprAt1Fpr).toBeNull();
    const empty = computeMetrics([], []);
    expect(empty.accuracy).toBeNull();
    expect(empty.ece).toBeNull();
  });

  it('counts confusion from labels', () => {
    expect(confusionCounts(['bot', 'human', 'bot'], ['bot', 'bot', 'human'])).toEqual({
      tp: 1,
      fp: 1,
      tn: 0,
      fn: 1,
    });
  });

  it('rejects mismatched or out-of-range input with InvalidOptionsError', () => {
    expect(() => computeMetrics([0.1], ['bot', 'human'])).toThrow(InvalidOptionsError);
    expect(() => computeMetrics([1.5], ['bot'])).toThrow(/scores\[0\] is 1.5/);
    expect(() => auroc([0.1], ['robot' as Label])).toThrow(/labels\[0\]/);
    expect(() => calibrateThreshold(S, L, { fpr: 1 })).toThrow(/fpr/);
    expect(() => calibrateThreshold([0.1], ['bot'], { fpr: 0.1 })).toThrow(/at least one human and one bot/);
  });
});

/** A real Detector: reads its score from the target's first message ("0.8", or "none" to abstain). */
class ScoreInText implements Detector {
  readonly name = 'score-in-text';
  batches: number[] = [];
  constructor(readonly threshold = 0.5) {}
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    AbortedError.throwIfAborted(opts.signal, 'score-in-text');
    const v = validateTranscript(t);
    const text = v.messages[0]!.text;
    if (text === 'none') return abstained(this.name, 'The message carries no score.', started);
    return scored(this.name, Number(text), this.threshold, [], started);
  }
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    this.batches.push(ts.length);
    const out: Detection[] = [];
    for (const t of ts) out.push(await this.detect(t, opts));
    return out;
  }
}

const ex = (text: string, label: Label): LabelledTranscript => ({
  messages: [{ speaker: 'u', text }],
  label,
});

describe('evaluateDetector', () => {
  const data = [...S.map((s, i) => ex(String(s), L[i]!)), ex('none', 'bot'), ex('none', 'human')];

  it('excludes abstentions from the metrics and reports how many there were', async () => {
    const progress: number[] = [];
    const r = await evaluateDetector(new ScoreInText(), data, {
      threshold: 0.5,
      onProgress: (p) => progress.push(p.done),
    });
    expect([r.n, r.scored, r.abstained, r.threshold]).toEqual([10, 8, 2, 0.5]);
    // The 8 scored examples are the worked example above.
    expect(r.confusion).toEqual({ tp: 3, fp: 2, tn: 2, fn: 1 });
    expect(r.auroc).toBeCloseTo(13 / 16, 12);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(progress.at(-1)).toBe(10);
  });

  it("uses the detector's own labels when no threshold is given, and batches through detectBatch", async () => {
    const d = new ScoreInText(0.75); // its own threshold: bot at >= 0.75
    const r = await evaluateDetector(d, data, { batchSize: 4 });
    // Labelled bot at 0.75: 0.9 b, 0.8 b -> tp 2, fp 0; 0.6 b and 0.4 b -> fn 2; 4 humans -> tn 4.
    expect(r.confusion).toEqual({ tp: 2, fp: 0, tn: 4, fn: 2 });
    expect(r.threshold).toBe(0.75); // the detector's own threshold property
    expect(d.batches).toEqual([4, 4, 2]);
  });

  it('names a bad labelled transcript and honours abort', async () => {
    await expect(
      evaluateDetector(new ScoreInText(), [
        ex('0.5', 'bot'),
        { messages: [] } as unknown as LabelledTranscript,
      ]),
    ).rejects.toSatisfy(
      (e: unknown) => InvalidTranscriptError.isInstance(e) && e.issues[0]!.path === 'labelled[1].messages',
    );
    await expect(evaluateDetector(new ScoreInText(), [ex('0.5', 'robot' as Label)])).rejects.toThrow(
      /labelled\[0\]\.label/,
    );
    const ac = new AbortController();
    ac.abort();
    await expect(evaluateDetector(new ScoreInText(), data, { signal: ac.signal })).rejects.toSatisfy(
      AbortedError.isInstance,
    );
  });
});
