/**
 * Which ensemble options apply to which strategies: one table, and the one check that refuses an option given
 * with a strategy it has no effect on (so `memberPrefixCuts` under `weighted-mean` stops the caller instead of
 * being ignored).
 *
 * @module
 * @internal
 */
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { EnsembleOptions, EnsembleStrategy } from './types.js';

/** The options of {@link EnsembleOptions} that only some strategies use. */
export type StrategyOption =
  | 'costs'
  | 'margin'
  | 'folds'
  | 'seed'
  | 'l2'
  | 'noveltyGuard'
  | 'memberPrefixCuts'
  | 'memberPrefixCutShare'
  | 'memberFeatures'
  | 'prior';

/** For each strategy-bound option: the strategies that use it, and why (for the refusal). */
export const STRATEGY_OPTIONS: Readonly<
  Record<StrategyOption, { readonly strategies: readonly EnsembleStrategy[]; readonly why: string }>
> = {
  costs: { strategies: ['cascade'], why: 'it orders the members cheapest first' },
  margin: { strategies: ['cascade'], why: 'it sets how far from the threshold a cascade stops early' },
  folds: {
    strategies: ['stacking', 'cascade'],
    why: 'the out-of-fold scores a learned combiner is fitted on',
  },
  seed: { strategies: ['stacking', 'cascade'], why: 'it seeds the folds of a learned combiner' },
  l2: { strategies: ['stacking', 'cascade'], why: 'the penalty of a learned combiner' },
  noveltyGuard: {
    strategies: ['stacking'],
    why: 'it watches the stacking combiner for unfamiliar transcripts',
  },
  memberPrefixCuts: { strategies: ['stacking'], why: 'its fit teaches the members cut transcripts' },
  memberPrefixCutShare: { strategies: ['stacking'], why: 'its fit teaches the members cut transcripts' },
  memberFeatures: { strategies: ['stacking'], why: 'its combiner learns on the features members attach' },
  prior: { strategies: ['stacking'], why: 'its combiner learns the training prior' },
};

/**
 * Refuses `option` when `strategy` does not use it (see {@link STRATEGY_OPTIONS}).
 *
 * @param option - the option given
 * @param strategy - the ensemble's strategy
 * @param name - how the error names the option (default: the option itself); the CLI names its flag
 * @throws InvalidOptionsError: `applies to the stacking strategy only (why); this ensemble uses weighted-mean: ...`
 * @internal
 */
export function refuseOptionFor(
  option: StrategyOption,
  strategy: EnsembleStrategy,
  name: string = option,
): void {
  const { strategies, why } = STRATEGY_OPTIONS[option];
  if (strategies.includes(strategy)) return;
  const which =
    strategies.length === 1
      ? `the ${strategies[0]} strategy only`
      : `the ${strategies.slice(0, -1).join(', ')} and ${strategies.at(-1)} strategies only`;
  throw new InvalidOptionsError(
    name,
    `applies to ${which} (${why}); this ensemble uses ${strategy}: leave ${name} out, or use ${name.startsWith('--') ? strategies.map((s) => `--strategy ${s}`).join(' or ') : `strategy ${strategies.map((s) => `'${s}'`).join(' or ')}`}`,
  );
}

/**
 * Refuses every strategy-bound option in `options` (given, i.e. not `undefined`) that `strategy` does not use.
 *
 * @param options - the ensemble options as given
 * @param strategy - the ensemble's strategy
 * @param names - how the errors name each option (the CLI's flags); options not listed keep their own name
 * @throws InvalidOptionsError naming the first such option
 * @internal
 */
export function refuseOptionsFor(
  options: Partial<Record<StrategyOption, unknown>>,
  strategy: EnsembleStrategy,
  names: Partial<Record<StrategyOption, string>> = {},
): void {
  for (const option of Object.keys(STRATEGY_OPTIONS) as StrategyOption[]) {
    if (options[option] !== undefined) refuseOptionFor(option, strategy, names[option] ?? option);
  }
}

/**
 * `options` without the strategy-bound options `strategy` does not use: for options read back from saved state,
 * which records some of them whatever the strategy.
 *
 * @param options - the options
 * @param strategy - the ensemble's strategy
 * @internal
 */
export function optionsFor(options: EnsembleOptions, strategy: EnsembleStrategy): EnsembleOptions {
  const kept: Record<string, unknown> = { ...options };
  for (const [option, { strategies }] of Object.entries(STRATEGY_OPTIONS)) {
    if (!strategies.includes(strategy)) delete kept[option];
  }
  return kept as EnsembleOptions;
}
