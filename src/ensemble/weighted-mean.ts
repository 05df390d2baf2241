import { logit } from '../numeric/logistic-regression.js';
import type { Combination } from './combination.js';

/**
 * Combines member scores by the weighted mean of their log-odds, over the members that produced a score
 * (abstaining and failed members are left out, never counted as 0.5):
 * `logOdds = sum_j w_j * logit(p_j) / sum_j w_j`. Averaging log-odds rather than probabilities lets one
 * confident member count for more than a hesitant one, and keeps the mean of identical scores equal to that
 * score. Scores of exactly 0 or 1 are clipped to 1e-9 from the ends (about +-20.7 log-odds).
 *
 * @param scores - P(bot) per member, `null` when it has none
 * @param weights - non-negative weight per member, aligned with `scores`
 * @returns the combination; `logOdds` is `null` when no member with a positive weight scored
 *
 * @example
 * ```ts
 * combineWeightedMean([0.9, null, 0.5], [1, 1, 1]).logOdds; // logit(0.9) / 2 = 1.0986
 * ```
 */
export function combineWeightedMean(
  scores: readonly (number | null)[],
  weights: readonly number[],
): Combination {
  let total = 0;
  let sum = 0;
  const raw: (number | null)[] = scores.map((s, j) => {
    const w = weights[j] ?? 1;
    if (s === null || w <= 0) return null;
    const z = w * logit(s);
    total += w;
    sum += z;
    return z;
  });
  const used = raw.filter((r) => r !== null).length;
  const method = `the weighted mean of ${used} member${used === 1 ? "'s" : "s'"} log-odds`;
  if (total === 0) return { logOdds: null, baseline: 0, contributions: scores.map(() => null), method };
  return {
    logOdds: sum / total,
    baseline: 0,
    contributions: raw.map((r) => (r === null ? null : r / total)),
    method,
  };
}
