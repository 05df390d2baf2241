import { describe, expect, it } from 'vitest';
import { createEnsemble, InvalidOptionsError } from '../../src/index.js';

/** The spec as a JavaScript or JSON caller hands it over: no compile-time check. */
const build = (spec: unknown) => createEnsemble(spec as Parameters<typeof createEnsemble>[0]);

describe('createEnsemble checks the whole spec', () => {
  it('refuses a key an ensemble spec does not have, naming it and the keys there are', async () => {
    const err = await build({ strategy: 'stacking', detectors: [{ type: 'heuristic' }], fodls: 10 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as InvalidOptionsError).option).toBe('fodls');
    expect((err as Error).message).toMatch(
      /not a key of an ensemble spec\. Its keys are strategy, threshold/,
    );
    await expect(
      build({ strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }], a: 1, b: 2 }),
    ).rejects.toThrow(/Invalid option "a": not a key of an ensemble spec \(nor are "b"\)\. Its keys are/);
  });

  it('refuses a missing or malformed spec with InvalidOptionsError, never a TypeError', async () => {
    for (const [spec, option] of [
      [null, 'ensemble'],
      ['stacking', 'ensemble'],
      [{ strategy: 'weighted-mean' }, 'detectors'],
      [{ strategy: 'weighted-mean', detectors: [] }, 'detectors'],
      [{ strategy: 'majority', detectors: [{ type: 'heuristic' }] }, 'strategy'],
      [{ strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }], threshold: 2 }, 'threshold'],
    ] as const) {
      const err = await build(spec).catch((e: unknown) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(InvalidOptionsError);
      expect((err as InvalidOptionsError).option, JSON.stringify(spec)).toBe(option);
    }
  });

  it('still builds a valid spec', async () => {
    const ens = await build({
      strategy: 'weighted-mean',
      threshold: 0.6,
      detectors: [{ type: 'heuristic' }],
    });
    const d = await ens.detect({ target: 'a', messages: [{ speaker: 'a', text: 'hello there' }] });
    expect(d.score).toBeGreaterThanOrEqual(0);
    expect(d.score).toBeLessThanOrEqual(1);
  });
});
