import type { Evidence } from '../../core/detector.js';
import type { PackedWeights } from './feature-model.js';
import { signalSentence } from './signal-sentences.js';
import { STYLE_FEATURE_NAMES, type StyleCounts, type StyleFeatureOptions } from './style-feature-types.js';

/**
 * What a heuristic score was made of, kept to write its evidence when it is read. The signals stay in the array
 * they were scored from (named only when the evidence is written: most detections are never explained).
 */
export interface ScoreParts {
  /** The signals in `STYLE_FEATURE_NAMES` order (a copy: the scorer's array is scratch). */
  signals: ArrayLike<number>;
  /** Which signals were measured: bit k for `signals[k]` (see `StyleAccumulator.signals`). */
  has: number;
  /** The counts behind the signals. */
  counts: StyleCounts;
  /** Each signal's contribution to the log-odds, in `STYLE_FEATURE_NAMES` order. */
  contributions: readonly number[];
  /** The weights used, by position (never mutated: `fit()` replaces them). */
  weights: PackedWeights;
  fitted: boolean;
  options: Required<StyleFeatureOptions>;
  /** The evidence-shrinkage entry, when the option is on. */
  shrinkage?: Evidence;
}

/**
 * Adds `e` to `list`, which is in order of the size of the contributions (larger first), after every entry at least
 * as large: ties keep the order they were added in. What a stable sort by size gives, without a sort per
 * evidence (`Array.prototype.sort` calling a comparator cost a sixth of writing the evidence).
 */
function insertBySize(list: Evidence[], e: Evidence): void {
  const size = Math.abs(e.contribution!);
  let i = list.length;
  while (i > 0 && Math.abs(list[i - 1]!.contribution!) < size) {
    list[i] = list[i - 1]!;
    i--;
  }
  list[i] = e;
}

/**
 * The evidence of a heuristic score: measured signals by the size of their contribution, then the unmeasured
 * ones, then the baseline. Each has a readable sentence. Written when a detection's evidence is first read
 * (the service reads it for every answer): one pass, no closure per signal.
 */
export function explainScore(p: ScoreParts): Evidence[] {
  const counts = p.counts;
  const weights = p.weights;
  const measured: Evidence[] = [];
  const missing: Evidence[] = [];
  for (let k = 0; k < STYLE_FEATURE_NAMES.length; k++) {
    const name = STYLE_FEATURE_NAMES[k]!;
    const value = (p.has >>> k) & 1 ? p.signals[k]! : null;
    const contribution = p.contributions[k]!;
    const sentence = signalSentence(name, value, weights.weight[k]!, contribution, counts, p.options);
    if (value === null) missing.push({ name, value: null, sentence, contribution: 0 });
    else insertBySize(measured, { name, value, sentence, contribution });
  }
  if (p.shrinkage) insertBySize(measured, p.shrinkage);
  for (let k = 0; k < missing.length; k++) measured.push(missing[k]!);
  measured.push({
    name: 'baseline',
    value: weights.intercept,
    sentence: p.fitted ? BASELINE_FITTED : BASELINE_DEFAULT,
    contribution: weights.intercept,
  });
  return measured;
}

const BASELINE_FITTED =
  'Log-odds of bot before any signal, learned by fit(); the score is sigmoid(baseline + contributions).';
const BASELINE_DEFAULT =
  'Log-odds of bot before any signal, from the hand-set defaults; the score is sigmoid(baseline + contributions).';
