import { describeValue } from '../../core/describe-value.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';

function wholeNumberAtLeast(key: string, value: unknown, min: number, why: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) {
    throw new InvalidOptionsError(
      key,
      `expected a whole number >= ${min}${why}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * The checks of a causal LM's windowing options, each on its own (`stride` below `windowTokens` is checked where
 * both are known): `undefined` (not given) passes, anything else must be a whole number in range or throws
 * InvalidOptionsError naming it. `CausalLmScorer` and the `perplexity` spec both call these, so a bad value gets
 * the same message wherever it is written; this module loads no model code.
 *
 * @example
 * ```ts
 * lmWindowChecks.windowTokens(1); // throws: Invalid option "windowTokens": expected a whole number >= 2 (...), got 1
 * ```
 * @internal
 */
export const lmWindowChecks = Object.freeze({
  /** `windowTokens`: a whole number >= 2. */
  windowTokens: (value: unknown): number | undefined =>
    wholeNumberAtLeast('windowTokens', value, 2, ' (a window needs a context token and a scored token)'),
  /** `stride`: a whole number >= 1. */
  stride: (value: unknown): number | undefined => wholeNumberAtLeast('stride', value, 1, ''),
});
