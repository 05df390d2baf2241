/**
 * Options that only some strategies use are refused under the others (one table, src/ensemble/strategy-options.ts),
 * in `new Ensemble()`, in an ensemble spec (config file) and on the command line, instead of being ignored.
 */
import { describe, expect, it } from 'vitest';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { createEnsemble } from '../../src/detectors/registry.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import type { EnsembleOptions } from '../../src/ensemble/types.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { ENSEMBLE_FIELD_FLAGS, ensembleSpecFromFlags } from '../../src/flags/ensemble-flags.js';
import { thrownInvalidOptions } from '../helpers/option-refusal.js';
import { runCli } from '../helpers/run-cli.js';

const STACKING_ONLY: Partial<EnsembleOptions> = {
  noveltyGuard: 'fallback',
  memberPrefixCuts: [1, 2],
  memberPrefixCutShare: 0.5,
  memberFeatures: false,
  prior: 0.5,
};

const refusal = thrownInvalidOptions;

describe('strategy-bound ensemble options', () => {
  it('new Ensemble refuses each stacking-only option under weighted-mean and cascade, naming it', () => {
    for (const strategy of ['weighted-mean', 'cascade'] as const) {
      for (const [key, value] of Object.entries(STACKING_ONLY)) {
        const err = refusal(() => new Ensemble([new HeuristicDetector()], { strategy, [key]: value }));
        expect(err.option).toBe(key);
        expect(err.message).toContain(`applies to the stacking strategy only (`);
        expect(err.message).toContain(
          `this ensemble uses ${strategy}: leave ${key} out, or use strategy 'stacking'`,
        );
      }
      expect(
        () => new Ensemble([new HeuristicDetector()], { strategy: 'stacking', ...STACKING_ONLY }),
      ).not.toThrow();
    }
  });

  it('refuses the options of a learned combiner under weighted-mean, and the cascade options elsewhere', () => {
    for (const key of ['folds', 'seed', 'l2'] as const) {
      const err = refusal(
        () => new Ensemble([new HeuristicDetector()], { strategy: 'weighted-mean', [key]: 3 }),
      );
      expect(err.message).toContain('applies to the stacking and cascade strategies only');
      for (const strategy of ['stacking', 'cascade'] as const)
        expect(() => new Ensemble([new HeuristicDetector()], { strategy, [key]: 3 })).not.toThrow();
    }
    const margin = refusal(
      () => new Ensemble([new HeuristicDetector()], { strategy: 'stacking', margin: 1 }),
    );
    expect(margin.message).toContain('applies to the cascade strategy only');
  });

  it('an ensemble spec (config file) is refused the same way', async () => {
    const err = await createEnsemble({
      strategy: 'weighted-mean',
      noveltyGuard: 'fallback',
      detectors: [{ type: 'heuristic' }],
    }).catch((e: unknown) => e);
    expect(InvalidOptionsError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain('"noveltyGuard": applies to the stacking strategy only');
  });

  it('the CLI flags are refused by their names, with the --strategy that takes them', async () => {
    const err = refusal(() =>
      ensembleSpecFromFlags({
        detectors: 'heuristic',
        strategy: 'weighted-mean',
        memberFeatures: false,
        model: [],
      }),
    );
    expect(err.option).toBe(ENSEMBLE_FIELD_FLAGS.memberFeatures);
    expect(err.message).toContain('leave --no-member-features out, or use --strategy stacking');
    const r = await runCli(
      [
        'detect',
        '--detectors',
        'heuristic',
        '--strategy',
        'weighted-mean',
        '--member-prefix-cuts',
        '1,2',
        '-',
      ],
      { input: JSON.stringify({ target: 'x', messages: [{ speaker: 'x', text: 'hello' }] }) },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('"--member-prefix-cuts": applies to the stacking strategy only');
  }, 60_000);
});
