import { describe, expect, it } from 'vitest';
import { LinearProbeDetector } from '../../src/detectors/linear-probe/linear-probe-detector.js';
import { NliZeroShotDetector } from '../../src/detectors/nli/nli-zero-shot-detector.js';
import { PerplexityDiversityDetector } from '../../src/detectors/perplexity/perplexity-diversity-detector.js';
import { expectSameRefusal } from '../helpers/option-refusal.js';

/** Each model-backed type, its class, and bad values of the options its constructor and spec both check. */
const CASES: [string, new (o: Record<string, unknown>) => unknown, Record<string, unknown[]>][] = [
  [
    'nli',
    NliZeroShotDetector as never,
    { name: ['', 3, null], threshold: [2, '0.5', null, 1n], l2: [-1, null, Number.NaN, 'x'] },
  ],
  [
    'linear-probe',
    LinearProbeDetector as never,
    {
      name: ['', null],
      threshold: [1.5, null],
      l2: [-1, null, Number.POSITIVE_INFINITY],
      balanceClasses: [1, null, 'yes', 1n],
    },
  ],
  [
    'perplexity',
    PerplexityDiversityDetector as never,
    {
      name: ['', null],
      threshold: [-0.1, null],
      l2: [-1, null, 'x'],
      windowTokens: [1, 2.5, '8', null],
      stride: [0, 1.5, null],
    },
  ],
];

describe('model-backed detectors: a bad option gets the same words from the constructor and from a spec', () => {
  for (const [type, Detector, bad] of CASES) {
    it(type, async () => {
      for (const [key, values] of Object.entries(bad)) {
        for (const value of values) {
          const reason = await expectSameRefusal(type, (o) => new Detector(o), key, value);
          expect(reason).toMatch(/got /);
        }
      }
    });
  }
});
