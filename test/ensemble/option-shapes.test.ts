import { describe, expect, it } from 'vitest';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { PartnerContrastDetector } from '../../src/detectors/heuristic/partner-contrast-detector.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';
import { thrownInvalidOptions } from '../helpers/option-refusal.js';

describe('options that are not an object', () => {
  it('are refused with InvalidOptionsError by every constructor (the shared check), not a TypeError or silence', () => {
    const make = [
      (o: unknown) => new HeuristicDetector(o as never),
      (o: unknown) => new PartnerContrastDetector(o as never),
      (o: unknown) => new HashingEmbedder(o as never),
      (o: unknown) => new Ensemble([new HeuristicDetector()], o as never),
    ];
    for (const f of make) {
      for (const bad of [null, 'x', 5, [{}]]) {
        const err = thrownInvalidOptions(() => f(bad));
        expect(err.message).toMatch(/must be an object \(or left out\), got/);
      }
      // Left out, or {}, is fine.
      expect(() => f(undefined)).not.toThrow();
      expect(() => f({})).not.toThrow();
    }
    expect(thrownInvalidOptions(() => new HeuristicDetector(null as never)).message).toBe(
      'Invalid option "options": the options of new HeuristicDetector() must be an object (or left out), got null: pass { ... } with the options to set',
    );
  });
});

describe('ensemble strategy and costs', () => {
  it('createEnsemble without strategy says it is missing, not that it must be one of', async () => {
    const err = await createEnsemble({ detectors: [{ type: 'heuristic' }] } as never).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(InvalidOptionsError.isInstance(err)).toBe(true);
    expect(err!.message).toMatch(
      /"strategy": strategy is missing: set it to one of weighted-mean, stacking, cascade/,
    );
    await expect(
      createEnsemble({ strategy: 'bogus', detectors: [{ type: 'heuristic' }] } as never),
    ).rejects.toThrow(/strategy must be one of/);
  });

  it('refuses costs with a strategy other than cascade, where they have no effect', () => {
    for (const strategy of [undefined, 'weighted-mean', 'stacking'] as const) {
      const err = thrownInvalidOptions(
        () =>
          new Ensemble([new HeuristicDetector()], { ...(strategy && { strategy }), costs: { heuristic: 1 } }),
      );
      expect(InvalidOptionsError.isInstance(err), String(strategy)).toBe(true);
      expect(err.message).toMatch(
        /"costs": applies to the cascade strategy only \(it orders the members cheapest first\)/,
      );
    }
    expect(
      () => new Ensemble([new HeuristicDetector()], { strategy: 'cascade', costs: { heuristic: 1 } }),
    ).not.toThrow();
  });

  it('refuses margin with a strategy other than cascade, where it has no effect, as it refuses costs', () => {
    for (const strategy of [undefined, 'weighted-mean', 'stacking'] as const) {
      const err = thrownInvalidOptions(
        () => new Ensemble([new HeuristicDetector()], { ...(strategy && { strategy }), margin: 1 }),
      );
      expect(InvalidOptionsError.isInstance(err), String(strategy)).toBe(true);
      expect(err.message).toMatch(
        /"margin": applies to the cascade strategy only \(it sets how far from the threshold a cascade stops early\); this ensemble uses (weighted-mean|stacking): leave margin out, or use strategy 'cascade'/,
      );
    }
    expect(() => new Ensemble([new HeuristicDetector()], { strategy: 'cascade', margin: 1 })).not.toThrow();
  });

  it('loads a saved weighted-mean ensemble, whose state holds the default margin', async () => {
    const saved = new Ensemble([new HeuristicDetector()]).toJSON();
    expect(saved.margin).toBeGreaterThan(0);
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(saved)), {
      resolve: (s) => HeuristicDetector.fromJSON(s),
    });
    expect(back.strategy).toBe('weighted-mean');
  });
});
