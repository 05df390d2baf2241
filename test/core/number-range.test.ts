import { describe, expect, it } from 'vitest';
import {
  checkInRange,
  describeRange,
  formatRange,
  inRange,
  NONZERO_SHARE,
  numberInRange,
  OPEN_SHARE,
  PROBABILITY,
} from '../../src/core/number-range.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { nliDetectorOptionsSchema } from '../../src/detectors/nli/nli-options.js';
import { evaluateDetector } from '../../src/eval/evaluate.js';
import { computeMetrics } from '../../src/eval/metrics.js';
import { parseServiceConfig } from '../../src/server/config.js';

describe('number ranges (the one home of "a number in an interval")', () => {
  it('tests membership at open and closed ends, whole numbers, and never for NaN, ±Infinity or strings', () => {
    expect([0, 0.5, 1].map((x) => inRange(x, PROBABILITY))).toEqual([true, true, true]);
    expect([0, 0.5, 1].map((x) => inRange(x, OPEN_SHARE))).toEqual([false, true, false]);
    expect([0, 0.5, 1].map((x) => inRange(x, NONZERO_SHARE))).toEqual([false, true, true]);
    const unbounded = { min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY };
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      '0.5',
      null,
      undefined,
    ]) {
      expect(inRange(bad, unbounded)).toBe(false);
    }
    const whole = { min: 1, max: 8, integer: true };
    expect([1, 8, 1.5, 0, 9].map((x) => inRange(x, whole))).toEqual([true, true, false, false, false]);
  });

  it('prints the interval and what it holds, as the messages quote them', () => {
    expect([PROBABILITY, OPEN_SHARE, NONZERO_SHARE].map(formatRange)).toEqual(['[0, 1]', '(0, 1)', '(0, 1]']);
    expect(describeRange(PROBABILITY)).toBe('a number in [0, 1]');
    expect(describeRange({ min: 1, max: 1024, integer: true })).toBe('a whole number from 1 to 1024');
    expect(describeRange({ min: 0, max: Number.POSITIVE_INFINITY, integer: true })).toBe(
      'a whole number >= 0',
    );
    expect(describeRange({ min: 0, max: Number.POSITIVE_INFINITY, minOpen: true })).toBe('a positive number');
    expect(describeRange({ min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY })).toBe('a number');
  });

  it('gives config schemas one message for any bad value, the ensemble threshold included', () => {
    const s = numberInRange(OPEN_SHARE);
    for (const [bad, shown] of [
      [0, '0'],
      [1, '1'],
      ['0.5', '"0.5"'],
      [Number.NaN, 'NaN'],
      [null, 'null'],
    ] as const) {
      expect(s.safeParse(bad).error?.issues[0]?.message).toBe(`expected a number in (0, 1), got ${shown}`);
    }
    expect(s.parse(0.25)).toBe(0.25);
    // The ensemble's threshold was checked with zod's generic "Too big" message before.
    expect(() =>
      parseServiceConfig({
        ensemble: { strategy: 'weighted-mean', threshold: 2, detectors: [{ type: 'heuristic' }] },
      }),
    ).toThrow('Invalid option "ensemble.threshold": expected a number in [0, 1], got 2');
  });

  it('checks option values through the same rule everywhere, each message saying what was expected', async () => {
    expect(checkInRange('x', 0.25, PROBABILITY)).toBe(0.25);
    expect(() => checkInRange('steepness', 0, { min: 1e-6, max: 1e6 })).toThrow(
      'Invalid option "steepness": expected a number in [0.000001, 1000000], got 0',
    );
    expect(() => new HeuristicDetector({ threshold: 1.5 })).toThrow(
      'Invalid option "threshold": expected a number in [0, 1], got 1.5',
    );
    expect(() => computeMetrics([0.2, 0.8], ['human', 'bot'], { threshold: Number.NaN })).toThrow(
      'Invalid option "threshold": expected a number in [0, 1], got NaN',
    );
    await expect(evaluateDetector(new HeuristicDetector(), [], { threshold: -0.1 })).rejects.toThrow(
      'Invalid option "threshold": expected a number in [0, 1], got -0.1',
    );
    const nli = (o: Record<string, unknown>) =>
      nliDetectorOptionsSchema.safeParse(o).error?.issues[0]?.message;
    expect(nli({ threshold: 2 })).toBe('expected a number in [0, 1], got 2');
    expect(nli({ contextTurns: 1.5 })).toBe('expected an integer from 0 to 50');
    expect(nli({ contextTurns: 51 })).toBe('expected an integer from 0 to 50');
    expect(nli({ l2: -1 })).toBe('expected a non-negative number, got -1');
    expect(nli({ l2: Number.POSITIVE_INFINITY })).toBe('expected a non-negative number, got Infinity');
    expect(nliDetectorOptionsSchema.parse({ contextTurns: 50, l2: 0 })).toMatchObject({
      contextTurns: 50,
      l2: 0,
    });
  });
});
