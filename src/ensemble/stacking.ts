import type { Label } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import {
  decision,
  fitLogisticRegression,
  type LogisticModel,
  logit,
} from '../numeric/logistic-regression.js';
import type { Combination } from './combination.js';

/**
 * The combiner's features for one transcript: for each member in turn, `[logit(score), 0]` when it scored
 * and `[0, 1]` when it abstained, failed or did not run. The missing indicator lets the combiner learn what
 * a missing score says instead of pretending it was 0.5.
 *
 * @param scores - P(bot) per member, `null` when missing
 *
 * @example
 * ```ts
 * stackingFeatures([0.5, null]); // [0, 0, 0, 1]
 * ```
 */
function stackingFeatures(scores: readonly (number | null)[]): number[] {
  const x: number[] = [];
  for (const s of scores) {
    if (s === null) x.push(0, 1);
    else x.push(logit(s), 0);
  }
  return x;
}

/**
 * Fits a logistic combiner on member scores (one row per example, one column per member; `null` =
 * missing), with {@link fitLogisticRegression}. Feed it out-of-fold scores, never in-sample ones, or it
 * learns to trust members that merely memorized the training set.
 *
 * @param rows - member scores per example
 * @param labels - the label of each example (`bot` = 1)
 * @param l2 - L2 penalty
 *
 * @example
 * ```ts
 * const model = fitCombiner([[0.9, null], [0.2, 0.3]], ['bot', 'human'], 1);
 * ```
 */
export function fitCombiner(
  rows: readonly (readonly (number | null)[])[],
  labels: readonly Label[],
  l2: number,
): LogisticModel {
  if (rows.length === 0)
    throw new InvalidOptionsError('examples', 'at least one example is needed to fit a combiner');
  return fitLogisticRegression(
    rows.map((r) => stackingFeatures(r)),
    labels.map((l) => (l === 'bot' ? 1 : 0)),
    { l2 },
  );
}

/**
 * Applies a fitted combiner. When no member scored, the ensemble abstains (`logOdds: null`) rather than
 * answering from the intercept alone.
 *
 * @param model - a combiner from {@link fitCombiner}, with two weights per member
 * @param scores - P(bot) per member, `null` when missing
 *
 * @example
 * ```ts
 * combineStacking(model, [0.9, null]).logOdds; // the combiner's log-odds of bot
 * ```
 */
export function combineStacking(model: LogisticModel, scores: readonly (number | null)[]): Combination {
  const x = stackingFeatures(scores);
  const contributions = scores.map(
    (_, j) => model.weights[2 * j]! * x[2 * j]! + model.weights[2 * j + 1]! * x[2 * j + 1]!,
  );
  const method = `the fitted stacking combiner over ${scores.length} member${scores.length === 1 ? '' : 's'}`;
  if (scores.every((s) => s === null)) {
    return { logOdds: null, baseline: model.intercept, contributions: scores.map(() => null), method };
  }
  return { logOdds: decision(model, x), baseline: model.intercept, contributions, method };
}
