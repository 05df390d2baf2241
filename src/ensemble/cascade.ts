import type { LogisticModel } from '../numeric/logistic-regression.js';
import { logit } from '../numeric/logistic-regression.js';
import type { Combination } from './combination.js';
import { combineStacking } from './stacking.js';
import { combineWeightedMean } from './weighted-mean.js';

/**
 * The order a cascade runs its members in: ascending cost, ties (and unlisted members, which cost 1) in the
 * order given.
 *
 * @param names - member names, in the order given
 * @param costs - cost per member name, or `undefined` to keep the given order
 * @returns member indices in run order
 *
 * @example
 * ```ts
 * cascadeOrder(['embedding', 'heuristic'], { embedding: 20, heuristic: 1 }); // [1, 0]
 * ```
 */
export function cascadeOrder(
  names: readonly string[],
  costs: Readonly<Record<string, number>> | undefined,
): number[] {
  const idx = names.map((_, i) => i);
  if (!costs) return idx;
  return idx.sort((a, b) => (costs[names[a]!] ?? 1) - (costs[names[b]!] ?? 1) || a - b);
}

/**
 * True when a running score is far enough from the threshold for a cascade to stop: at least `margin`
 * log-odds above or below `logit(threshold)`.
 *
 * @param score - the running P(bot), or `null` when no member has scored yet
 * @param threshold - the decision threshold
 * @param margin - distance in log-odds
 *
 * @example
 * ```ts
 * isConfident(0.93, 0.5, Math.log(9)); // true: 0.93 >= 0.9
 * ```
 */
export function isConfident(score: number | null, threshold: number, margin: number): boolean {
  if (score === null) return false;
  return Math.abs(logit(score) - logit(threshold)) >= margin;
}

/**
 * The cascade's running combination after the first `k` members (in run order) have run: the fitted
 * combiner for that prefix when there is one, else the weighted mean of their log-odds.
 *
 * @param prefixScores - P(bot) of the members that ran so far, in run order (`null` = missing)
 * @param prefixWeights - their weights, for the unfitted case
 * @param combiner - the fitted combiner for this prefix length, or `undefined`
 *
 * @example
 * ```ts
 * cascadeRunning([0.95], [1], undefined).logOdds; // logit(0.95)
 * ```
 */
export function cascadeRunning(
  prefixScores: readonly (number | null)[],
  prefixWeights: readonly number[],
  combiner: LogisticModel | undefined,
): Combination {
  const c = combiner
    ? combineStacking(combiner, prefixScores)
    : combineWeightedMean(prefixScores, prefixWeights);
  const k = prefixScores.length;
  const method = combiner
    ? `the fitted cascade combiner for the first ${k} member${k === 1 ? '' : 's'}`
    : `the weighted mean of the log-odds of the first ${k} member${k === 1 ? '' : 's'}`;
  return { ...c, method };
}
