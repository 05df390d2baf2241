import { describe, expect, it } from 'vitest';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { PartnerContrastDetector } from '../../src/detectors/heuristic/partner-contrast-detector.js';
import { createDetector } from '../../src/detectors/registry.js';
import { parseServiceConfig } from '../../src/server/config.js';
import { expectSameRefusal } from '../helpers/option-refusal.js';

const GOOD = { minHumanDelayMs: 500, maxHumanCharsPerSecond: 20, repeatWindow: 8 };
const BAD: Record<keyof typeof GOOD, unknown[]> = {
  minHumanDelayMs: [-1, Number.NaN, '500', null],
  maxHumanCharsPerSecond: [0, Number.POSITIVE_INFINITY, null],
  repeatWindow: [0, 2.5, '8', null, 1n],
};

describe('style-feature options (minHumanDelayMs, maxHumanCharsPerSecond, repeatWindow) in specs', () => {
  for (const [type, Detector] of [
    ['heuristic', HeuristicDetector],
    ['partner-contrast', PartnerContrastDetector],
  ] as const) {
    it(`${type}: a spec and a service config take them, and refuse a bad one in the constructor's words`, async () => {
      const d = await createDetector({ type, ...GOOD });
      expect(d).toBeInstanceOf(Detector);
      // The heuristic's state shows the options took (partner-contrast saves only once fitted).
      if (d instanceof HeuristicDetector) expect(d.toJSON()).toMatchObject(GOOD);
      expect(() =>
        parseServiceConfig({ ensemble: { strategy: 'weighted-mean', detectors: [{ type, ...GOOD }] } }),
      ).not.toThrow();
      for (const [key, values] of Object.entries(BAD)) {
        for (const value of values) {
          const reason = await expectSameRefusal(type, (o) => new Detector(o as never), key, value);
          expect(() =>
            parseServiceConfig({
              ensemble: { strategy: 'weighted-mean', detectors: [{ type, [key]: value }] },
            }),
          ).toThrow(reason);
        }
      }
    });
  }
});
