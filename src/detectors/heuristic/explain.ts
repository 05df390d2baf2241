import type { Evidence } from '../../core/detector.js';
import type { CompleteHeuristicWeights } from './feature-model.js';
import { signalSentence } from './signal-sentences.js';
import { STYLE_FEATURE_NAMES, type StyleFeatureOptions, type StyleFeatures } from './style-feature-types.js';

/** What a heuristic score was made of, kept to write its evidence when it is read. */
export interface ScoreParts {
  /** The signals and their counts. */
  features: StyleFeatures;
  /** Each signal's contribution to the log-odds, in `STYLE_FEATURE_NAMES` order. */
  contributions: readonly number[];
  /** The weights used (never mutated: `fit()` replaces them). */
  model: CompleteHeuristicWeights;
  fitted: boolean;
  options: Required<StyleFeatureOptions>;
  /** The evidence-shrinkage entry, when the option is on. */
  shrinkage?: Evidence;
}

/**
 * The evidence of a heuristic score: measured signals by the size of their contribution, then the unmeasured
 * ones, then the baseline. Each has a readable sentence.
 */
export function explainScore(p: ScoreParts): Evidence[] {
  const { values, counts } = p.features;
  const measured: Evidence[] = [];
  const missing: Evidence[] = [];
  STYLE_FEATURE_NAMES.forEach((name, k) => {
    const weight = p.model.features[name].weight;
    const value = values[name];
    const contribution = p.contributions[k]!;
    const sentence = signalSentence(name, value, weight, contribution, counts, p.options);
    if (value === null) missing.push({ name, value: null, sentence, contribution: 0 });
    else measured.push({ name, value, sentence, contribution });
  });
  if (p.shrinkage) measured.push(p.shrinkage);
  measured.sort((a, b) => Math.abs(b.contribution!) - Math.abs(a.contribution!));
  return [
    ...measured,
    ...missing,
    {
      name: 'baseline',
      value: p.model.intercept,
      sentence: `Log-odds of bot before any signal, ${p.fitted ? 'learned by fit()' : 'from the hand-set defaults'}; the score is sigmoid(baseline + contributions).`,
      contribution: p.model.intercept,
    },
  ];
}
