import { fitLogisticRegression } from '../../numeric/logistic-regression.js';
import {
  type CompleteHeuristicWeights,
  cloneWeights,
  FEATURE_TRANSFORMS,
  type FeatureWeight,
  standardize,
} from './feature-model.js';
import { STYLE_FEATURE_NAMES, type StyleFeatureName, type StyleFeatures } from './style-feature-types.js';

/**
 * The heuristic's weights fitted to measured transcripts: each signal's mean and scale re-estimated from the
 * rows, then the weights of the standardized signals by L2-regularized logistic regression. A signal that
 * fewer than two rows measure, or that does not vary, keeps its weight and statistics from `current` and sits
 * out the regression; when none varies, only the intercept (the base rate) is learned.
 *
 * @param rows - the signals of each transcript (`null` where not measured)
 * @param y - 1 for a bot, 0 for a human, per row
 * @param bots - how many rows are bots (both classes must be present)
 * @param current - the weights in use
 * @param l2 - the L2 penalty
 * @internal
 */
export function fitWeights(
  rows: readonly StyleFeatures['values'][],
  y: number[],
  bots: number,
  current: CompleteHeuristicWeights,
  l2: number,
): CompleteHeuristicWeights {
  const learned: { name: StyleFeatureName; fw: FeatureWeight }[] = [];
  for (const name of STYLE_FEATURE_NAMES) {
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    for (const r of rows) {
      const v = r[name];
      if (v === null) continue;
      const x = FEATURE_TRANSFORMS[name](v);
      n++;
      sum += x;
      sumSq += x * x;
    }
    if (n < 2) continue;
    const mean = sum / n;
    const sd = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
    if (!(sd > 1e-9)) continue;
    learned.push({ name, fw: { weight: 0, mean, scale: sd } });
  }
  const features = cloneWeights(current).features;
  if (learned.length === 0) {
    // Nothing varies: only the base rate can be learned.
    return { intercept: Math.log(bots / (y.length - bots)), features };
  }
  const X = rows.map((r) => learned.map(({ name, fw }) => standardize(name, r[name], fw)));
  const m = fitLogisticRegression(X, y, { l2, standardize: false });
  learned.forEach(({ name, fw }, j) => {
    features[name] = { weight: m.weights[j]!, mean: fw.mean, scale: fw.scale };
  });
  return { intercept: m.intercept, features };
}
