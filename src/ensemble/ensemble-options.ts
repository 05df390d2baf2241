import { describeValue } from '../core/describe-value.js';
import type { Detector } from '../core/detector.js';
import { methodOptionsOf } from '../core/method-options.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { resolveValidationLimits, type ValidationLimits } from '../core/validation-limits.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { checkCutShare, checkPrefixCuts } from './member-examples.js';
import { checkPrior } from './prior-shift.js';
import { refuseDuplicateNames } from './refuse-duplicate-names.js';
import { refuseOptionsFor } from './strategy-options.js';
import {
  ENSEMBLE_STRATEGIES,
  type EnsembleDisposeOptions,
  type EnsembleFitOptions,
  type EnsembleOptions,
  type EnsembleStrategy,
} from './types.js';

/** Every key of {@link EnsembleOptions}: `new Ensemble()` refuses any other. */
const ENSEMBLE_OPTION_KEYS: OptionKeys<EnsembleOptions> = {
  strategy: true,
  name: true,
  threshold: true,
  weights: true,
  costs: true,
  margin: true,
  folds: true,
  seed: true,
  l2: true,
  noveltyGuard: true,
  memberPrefixCuts: true,
  memberPrefixCutShare: true,
  memberFeatures: true,
  prior: true,
  cloneMember: true,
  limits: true,
};

/** Every key of {@link EnsembleFitOptions}: `Ensemble.fit()` refuses any other. */
const ENSEMBLE_FIT_OPTION_KEYS: OptionKeys<EnsembleFitOptions> = { signal: true, groups: true };

/** Every key of {@link EnsembleDisposeOptions}: `Ensemble.dispose()` refuses any other. */
const ENSEMBLE_DISPOSE_OPTION_KEYS: OptionKeys<EnsembleDisposeOptions> = { timeoutMs: true, onWarning: true };

/**
 * Refuses a key of the options of `Ensemble.fit()` or `Ensemble.dispose()` that their type does not have
 * (`group` for `groups`), as the constructor refuses its own.
 *
 * @param method - `fit` or `dispose`
 * @param options - the options as given
 * @param name - the ensemble's name
 * @throws InvalidOptionsError naming the unknown key
 * @internal
 */
export function refuseUnknownMethodOptions(
  method: 'fit' | 'dispose',
  options: EnsembleFitOptions | EnsembleDisposeOptions,
  name: string,
): void {
  const what = methodOptionsOf(method, name);
  if (method === 'fit') refuseUnknownKeys(options as EnsembleFitOptions, ENSEMBLE_FIT_OPTION_KEYS, what);
  else refuseUnknownKeys(options as EnsembleDisposeOptions, ENSEMBLE_DISPOSE_OPTION_KEYS, what);
}

/** The default cascade margin: ln 9, so a 0.5 threshold stops at P(bot) >= 0.9 or <= 0.1. */
export const DEFAULT_MARGIN = Math.log(9);

/**
 * Every ensemble option checked and with its default applied, member weights aligned with the members.
 *
 * @internal
 */
export interface ResolvedEnsembleOptions {
  name: string;
  strategy: EnsembleStrategy;
  names: readonly string[];
  weights: readonly number[];
  costs: Readonly<Record<string, number>> | undefined;
  threshold: number;
  margin: number;
  folds: number;
  seed: number;
  l2: number;
  noveltyGuard: 'report' | 'fallback' | 'off';
  memberPrefixCuts: readonly number[];
  memberPrefixCutShare: number;
  memberFeatures: boolean;
  /** The `prior` option (`stacking` only), or `null` when not given. */
  prior: number | null;
  cloneMember: ((detector: Detector) => Detector) | undefined;
  /** The `limits` option, resolved; `undefined` when not given (the defaults, as every detector applies them). */
  limits: Readonly<Required<ValidationLimits>> | undefined;
}

const listNames = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');

/** Checks the members: at least one, each a detector with a unique non-empty name. Returns the names. */
function memberNames(detectors: readonly Detector[]): string[] {
  if (!Array.isArray(detectors) || detectors.length === 0) {
    throw new InvalidOptionsError('detectors', 'give at least one detector');
  }
  const names: string[] = [];
  detectors.forEach((d, i) => {
    if (typeof d !== 'object' || d === null || typeof d.detect !== 'function') {
      throw new InvalidOptionsError(
        'detectors',
        `detectors[${i}] is not a Detector (an object with name and detect())`,
      );
    }
    if (typeof d.name !== 'string' || d.name === '') {
      throw new InvalidOptionsError(
        'detectors',
        `detectors[${i}] has no name: give every member a unique, non-empty name`,
      );
    }
    names.push(d.name);
  });
  refuseDuplicateNames(names);
  return names;
}

/** One weight per member (1 when not listed), checked. */
function memberWeights(names: readonly string[], given: Record<string, number> | undefined): number[] {
  const weights = names.map(() => 1);
  for (const [k, w] of Object.entries(given ?? {})) {
    const j = names.indexOf(k);
    if (j < 0)
      throw new InvalidOptionsError('weights', `"${k}" is not a member; members are ${listNames(names)}`);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new InvalidOptionsError(
        'weights',
        `weight of "${k}" is ${String(w)}; weights must be finite and >= 0`,
      );
    }
    weights[j] = w;
  }
  if (weights.every((w) => w === 0)) {
    throw new InvalidOptionsError('weights', 'every weight is 0: give at least one member a positive weight');
  }
  return weights;
}

function checkCosts(names: readonly string[], costs: Record<string, number> | undefined): void {
  for (const [k, c] of Object.entries(costs ?? {})) {
    if (!names.includes(k))
      throw new InvalidOptionsError('costs', `"${k}" is not a member; members are ${listNames(names)}`);
    if (typeof c !== 'number' || !Number.isFinite(c)) {
      throw new InvalidOptionsError('costs', `cost of "${k}" is ${String(c)}; costs must be finite numbers`);
    }
  }
}

/**
 * Checks a threshold option: P(bot) in [0, 1].
 *
 * @throws InvalidOptionsError naming `threshold`
 * @internal
 */
export function checkThreshold(t: unknown): asserts t is number {
  if (typeof t !== 'number' || !(t >= 0 && t <= 1)) {
    throw new InvalidOptionsError('threshold', `got ${describeValue(t)}; use P(bot) in [0, 1], e.g. 0.5`);
  }
}

/**
 * The default `memberPrefixCuts` of a stacking ensemble: members also learn from training transcripts cut after
 * the target's first message (from a quarter of them, {@link DEFAULT_MEMBER_PREFIX_CUT_SHARE}), which lifts the verdict
 * after one message at no detection cost (see `EnsembleOptions.memberPrefixCuts`).
 *
 * @internal
 */
const DEFAULT_MEMBER_PREFIX_CUTS: readonly number[] = [1];

/**
 * The default `memberPrefixCutShare`: the cuts of a quarter of the training examples. On ConvAI train (train-only
 * 5-fold CV, cuts after the 1st message) shares from 0.1 to 1 gave the same verdicts after the first message
 * (F1 0.84-0.87 against 0.755 without cuts), while the fit's extra cost grows with the share (see
 * docs/evaluation.md).
 *
 * @internal
 */
const DEFAULT_MEMBER_PREFIX_CUT_SHARE = 0.25;

/**
 * Validates the members and options of `new Ensemble(detectors, options)` once, at the boundary, and applies
 * the defaults documented on {@link EnsembleOptions}.
 *
 * @param detectors - the members
 * @param options - the options as given
 * @throws InvalidOptionsError naming the bad option
 * @internal
 */
export function resolveEnsembleOptions(
  detectors: readonly Detector[],
  options: EnsembleOptions,
): ResolvedEnsembleOptions {
  refuseUnknownKeys(options, ENSEMBLE_OPTION_KEYS, 'the options of new Ensemble()');
  const names = memberNames(detectors);
  const strategy = options.strategy ?? 'weighted-mean';
  if (!ENSEMBLE_STRATEGIES.includes(strategy)) {
    throw new InvalidOptionsError(
      'strategy',
      `got ${describeValue(strategy)}; use one of ${ENSEMBLE_STRATEGIES.join(', ')}`,
    );
  }
  const name = options.name ?? 'ensemble';
  if (typeof name !== 'string' || name === '')
    throw new InvalidOptionsError('name', 'must be a non-empty string');
  const threshold = options.threshold ?? 0.5;
  checkThreshold(threshold);
  const weights = memberWeights(names, options.weights);
  checkCosts(names, options.costs);
  const margin = options.margin ?? DEFAULT_MARGIN;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin <= 0) {
    throw new InvalidOptionsError(
      'margin',
      `got ${describeValue(margin)}; use a positive number of log-odds (default ln 9 = 2.197)`,
    );
  }
  const folds = options.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2) {
    throw new InvalidOptionsError('folds', `got ${describeValue(folds)}; use an integer of at least 2`);
  }
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed))
    throw new InvalidOptionsError('seed', `got ${describeValue(seed)}; use an integer`);
  const l2 = options.l2 ?? 1;
  if (typeof l2 !== 'number' || !Number.isFinite(l2) || l2 < 0) {
    throw new InvalidOptionsError('l2', `got ${describeValue(l2)}; use a finite number >= 0`);
  }
  const noveltyGuard = options.noveltyGuard ?? 'report';
  if (noveltyGuard !== 'report' && noveltyGuard !== 'fallback' && noveltyGuard !== 'off') {
    throw new InvalidOptionsError(
      'noveltyGuard',
      `got ${describeValue(noveltyGuard)}; use "report", "fallback" or "off"`,
    );
  }
  const givenCuts =
    options.memberPrefixCuts === undefined ? undefined : checkPrefixCuts(options.memberPrefixCuts);
  const memberPrefixCuts = strategy !== 'stacking' ? [] : (givenCuts ?? [...DEFAULT_MEMBER_PREFIX_CUTS]);
  const memberPrefixCutShare = checkCutShare(options.memberPrefixCutShare ?? DEFAULT_MEMBER_PREFIX_CUT_SHARE);
  const memberFeatures = options.memberFeatures ?? true;
  if (typeof memberFeatures !== 'boolean') {
    throw new InvalidOptionsError(
      'memberFeatures',
      `got ${describeValue(memberFeatures)}; use true or false`,
    );
  }
  const prior = checkPrior(options.prior, strategy);
  if (options.cloneMember !== undefined && typeof options.cloneMember !== 'function') {
    throw new InvalidOptionsError('cloneMember', 'must be a function (detector) => fresh unfitted detector');
  }
  const limits = options.limits === undefined ? undefined : resolveValidationLimits(options.limits);
  // An option the strategy has no use for (memberPrefixCuts under weighted-mean) is refused, not ignored; after
  // the value checks, so a bad value is named as such first.
  refuseOptionsFor(options, strategy);
  return {
    name,
    strategy,
    names,
    weights,
    costs: options.costs ? { ...options.costs } : undefined,
    threshold,
    margin,
    folds,
    seed,
    l2,
    noveltyGuard,
    memberPrefixCuts,
    memberPrefixCutShare,
    memberFeatures: strategy === 'stacking' && memberFeatures,
    prior,
    cloneMember: options.cloneMember,
    limits,
  };
}
