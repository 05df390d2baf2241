import { describeValue } from '../../core/describe-value.js';
import { checkBoolean, checkL2 } from '../../core/detector-kit.js';
import { checkInRange, type NumberRange } from '../../core/number-range.js';
import type { ValidationLimits } from '../../core/validate.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import {
  STYLE_FEATURE_NAMES,
  type StyleFeatureName,
  type StyleFeatureOptions,
} from './style-feature-types.js';

/**
 * The values `humanPairs` (synthetic human–human pairs per human example) may take: [0, 10]; beyond 10 the fit
 * only grows.
 */
const HUMAN_PAIRS: NumberRange = Object.freeze({ min: 0, max: 10 });

/**
 * The checks of `PartnerContrastDetector`'s own options: each takes the option as given (`undefined`: not
 * given) and returns it with its default applied, or throws InvalidOptionsError naming it. The constructor and
 * the `partner-contrast` spec (config files, `createDetector`) both call these, so a bad value gets the same
 * message wherever it is written.
 *
 * @example
 * ```ts
 * partnerContrastChecks.humanPairs(undefined); // 0
 * partnerContrastChecks.humanPairs(11); // throws: Invalid option "humanPairs": expected a number in [0, 10], got 11
 * ```
 * @internal
 */
export const partnerContrastChecks = Object.freeze({
  /** `l2`: a number >= 0, 1 by default. */
  l2: checkL2,
  /** `humanPairs`: a number in [0, 10], 0 by default. */
  humanPairs: (value: unknown): number =>
    checkInRange('humanPairs', value === undefined ? 0 : value, HUMAN_PAIRS),
  /** `balanceClasses`: true or false, false by default. */
  balanceClasses: (value: unknown): boolean => checkBoolean('balanceClasses', value, false),
  /**
   * `targetSignals`: distinct style signal names, none by default; returned in `STYLE_FEATURE_NAMES` order, so
   * the same set always gives the same fitted layout.
   */
  targetSignals: (value: unknown): StyleFeatureName[] => {
    if (value === undefined) return [];
    const names: readonly string[] = STYLE_FEATURE_NAMES;
    if (!Array.isArray(value)) {
      throw new InvalidOptionsError(
        'targetSignals',
        `got ${describeValue(value)}; use an array of style signal names, e.g. ['near_repeat_mean']`,
      );
    }
    for (const v of value) {
      if (typeof v !== 'string' || !names.includes(v)) {
        throw new InvalidOptionsError(
          'targetSignals',
          `${describeValue(v)} is not a style signal; use some of ${names.join(', ')}`,
        );
      }
    }
    if (new Set(value).size !== value.length) {
      throw new InvalidOptionsError('targetSignals', `got ${describeValue(value)}; name each signal once`);
    }
    return STYLE_FEATURE_NAMES.filter((n) => value.includes(n));
  },
});

/** Options for `PartnerContrastDetector`. */
export interface PartnerContrastDetectorOptions extends StyleFeatureOptions {
  /**
   * The detector's name in results and ensembles.
   * @defaultValue 'partner-contrast'
   */
  name?: string;
  /**
   * Score at or above which the label is `bot`.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * L2 penalty used by `fit()` on the standardized contrast signals (larger = weights closer to 0).
   * @defaultValue 1
   */
  l2?: number;
  /**
   * Synthetic human–human conversations `fit()` adds, per human example: each is two human targets from
   * different examples, the first's style minus the second's, labelled human. Use it (0.5 is the setting measured)
   * when the detector is used alone and the fitting data's humans only talk to bots, so that a human talking to a
   * human does not look like a bot where the scored population has such chats. It costs a little in domain, and
   * inside a stacking ensemble it changes little (the combiner recalibrates the member on in-domain folds). At
   * most 10. Figures: the "partner-contrast alone" rows of docs/benchmarks.md (section "generalization"); the
   * settings tried are in docs/evaluation.md.
   * @defaultValue 0
   */
  humanPairs?: number;
  /**
   * Whether `fit()` weighs the fitted examples so that bots and humans count the same in total (a synthetic
   * human–human row weighs what a human example does), so the threshold does not carry the fitting data's bot
   * share to another population. Use it with `humanPairs` when the detector is used alone on a population whose
   * bot share differs from the fitting data's. Figures as for `humanPairs`.
   * @defaultValue false
   */
  balanceClasses?: boolean;
  /**
   * Style signals (names from `STYLE_FEATURE_NAMES`) that the fit also reads as the target's own value, beside
   * the contrasts: what the target does whatever its partner does. Each adds one weight, named
   * `<signal>_own` in the evidence. Use it for signals that point the same way in every bot population the
   * detector may meet: `['near_repeat_mean']` (how much each message repeats the target's own recent ones) is
   * the setting measured, and the `transfer` ensemble preset sets it. Signals whose direction changes from one
   * bot family to the next (message length, questions) transfer worse as absolute values than as contrasts. The
   * detector still abstains where it has no partner to compare with. Figures: docs/evaluation.md ("Own-value
   * signals beside the contrasts").
   * @defaultValue [] (contrasts only)
   */
  targetSignals?: readonly StyleFeatureName[];
  /**
   * Limits for the transcripts it reads: raise `maxMessages` for long chats. Not part of the saved state.
   * @defaultValue DEFAULT_LIMITS (1 to 200 messages)
   */
  limits?: ValidationLimits;
}

/**
 * The state versions: 1 without `targetSignals` (what every botlens that reads partner-contrast states reads), 2
 * with them (their own-value weights follow the contrast weights, so an older botlens must refuse the state by its
 * version, not by the length of `fill`). A state is written in the oldest version that holds it.
 *
 * @internal
 */
export const PARTNER_CONTRAST_STATE_VERSIONS = { oldest: 1, targetSignals: 2 } as const;
