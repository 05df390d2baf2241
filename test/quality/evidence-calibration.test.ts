import { describe, expect, it } from 'vitest';
import type { DetectionSupport } from '../../src/core/detector.js';
import type { Label } from '../../src/core/transcript.js';
import { fitEvidenceCalibration, recalibrate } from '../../src/ensemble/evidence-calibration.js';
import { seededRandom } from '../../src/numeric/random.js';

describe('recalibration per amount of evidence', () => {
  // The combiner is overconfident on one message (the truth is 0.3 z) and underconfident on long chats (2 z).
  const r = seededRandom(11);
  const z: number[] = [];
  const labels: Label[] = [];
  const supports: DetectionSupport[] = [];
  for (const [messages, scale] of [
    [1, 0.3],
    [20, 2],
  ] as const) {
    for (let i = 0; i < 3000; i++) {
      const zi = (r() - 0.5) * 8;
      z.push(zi);
      labels.push(r() < 1 / (1 + Math.exp(-scale * zi)) ? 'bot' : 'human');
      supports.push({ targetMessages: messages, targetCharacters: 40 * messages });
    }
  }
  const cal = fitEvidenceCalibration(z, labels, supports);

  it('learns a different scale for each amount of evidence', () => {
    const one = cal.buckets.find((b) => b.upTo === 1)!;
    const long = cal.buckets.find((b) => b.upTo === null)!;
    expect(one.slope).toBeGreaterThan(0.2);
    expect(one.slope).toBeLessThan(0.4);
    expect(long.slope).toBeGreaterThan(1.6);
    expect(long.slope).toBeLessThan(2.4);
    // Buckets without rows are left alone.
    expect(cal.buckets.find((b) => b.upTo === 3)).toMatchObject({ slope: 1, shift: 0, rows: 0 });
  });

  it('applies the bucket of the transcript and keeps the combination additive', () => {
    const c = {
      logOdds: 3,
      baseline: 0.5,
      contributions: [2, null, 0.25],
      method: 'm',
      notes: [{ name: 'n', value: 1, sentence: 's', contribution: 0.25 }],
    };
    const one = recalibrate(cal, c, { targetMessages: 1, targetCharacters: 10 });
    const long = recalibrate(cal, c, { targetMessages: 50, targetCharacters: 900 });
    expect(Math.abs(one.logOdds!)).toBeLessThan(1.5);
    expect(long.logOdds!).toBeGreaterThan(4.5);
    for (const x of [one, long]) {
      const sum =
        x.baseline + x.contributions.reduce((a: number, v) => a + (v ?? 0), 0) + x.notes![0]!.contribution!;
      expect(sum).toBeCloseTo(x.logOdds!, 9);
      expect(x.contributions[1]).toBeNull();
    }
  });
});
