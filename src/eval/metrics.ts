import { describeValue } from '../core/describe-value.js';
import { checkInRange, PROBABILITY } from '../core/number-range.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import type { Label } from '../core/transcript.js';
import { checkScores, thresholdAtFpr } from '../ensemble/calibrate.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * Counts of a binary confusion matrix, with `bot` as the positive class.
 *
 * @example
 * ```ts
 * const c: ConfusionCounts = { tp: 8, fp: 1, tn: 9, fn: 2 };
 * ```
 */
export interface ConfusionCounts {
  /** Bots labelled bot. */
  tp: number;
  /** Humans labelled bot. */
  fp: number;
  /** Humans labelled human. */
  tn: number;
  /** Bots labelled human. */
  fn: number;
}

/**
 * Classification metrics for one detector on one labelled set (`bot` = positive). A metric that is
 * undefined on the data (e.g. precision when nothing was labelled bot, AUROC with one class) is `null`,
 * never a made-up 0 or 0.5.
 */
export interface Metrics {
  /** Examples measured. */
  n: number;
  /** Bots among them. */
  positives: number;
  /** Humans among them. */
  negatives: number;
  /** The confusion counts at the decision threshold (or the given predicted labels). */
  confusion: ConfusionCounts;
  /** tp / (tp + fp); `null` when nothing was labelled bot. */
  precision: number | null;
  /** tp / (tp + fn), the true-positive rate; `null` when there are no bots. */
  recall: number | null;
  /** 2tp / (2tp + fp + fn); `null` when tp + fp + fn = 0. */
  f1: number | null;
  /** (tp + tn) / n; `null` when n = 0. */
  accuracy: number | null;
  /** Area under the ROC curve from the scores, ties counted as half; `null` without both classes. */
  auroc: number | null;
  /** TPR at the lowest threshold with FPR <= 1% on these scores; `null` without both classes. */
  tprAt1Fpr: number | null;
  /** TPR at the lowest threshold with FPR <= 5% on these scores; `null` without both classes. */
  tprAt5Fpr: number | null;
  /** Expected calibration error over equal-width bins (`expectedCalibrationError`); `null` when n = 0. */
  ece: number | null;
}

/** Options for {@link computeMetrics}. */
export interface ComputeMetricsOptions {
  /**
   * Score at or above which an example counts as labelled bot, for the confusion-based metrics.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * Predicted labels to use instead of `threshold` (e.g. each detection's own label).
   * @defaultValue undefined (labels come from `threshold`)
   */
  predicted?: readonly Label[];
  /**
   * Number of equal-width bins for the expected calibration error.
   * @defaultValue 10
   */
  bins?: number;
}

/**
 * Counts a confusion matrix from predicted and true labels.
 *
 * @param predicted - the labels a detector gave
 * @param labels - the true labels, same length
 *
 * @example
 * ```ts
 * confusionCounts(['bot', 'human', 'bot'], ['bot', 'bot', 'human']); // { tp: 1, fp: 1, tn: 0, fn: 1 }
 * ```
 */
export function confusionCounts(predicted: readonly Label[], labels: readonly Label[]): ConfusionCounts {
  if (predicted.length !== labels.length) {
    throw new InvalidOptionsError(
      'predicted',
      `has ${predicted.length} labels for ${labels.length} true labels`,
    );
  }
  const c: ConfusionCounts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const bot = predicted[i] === 'bot';
    if (labels[i] === 'bot') bot ? c.tp++ : c.fn++;
    else bot ? c.fp++ : c.tn++;
  }
  return c;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/**
 * Area under the ROC curve: the probability that a random bot scores above a random human, ties counting
 * one half. Computed from ranks (Mann-Whitney U), tied scores sharing their average rank.
 *
 * @param scores - P(bot) per example
 * @param labels - the true labels
 * @returns the AUROC in [0, 1], or `null` when either class is missing
 *
 * @example
 * ```ts
 * auroc([0.1, 0.4, 0.35, 0.8], ['human', 'human', 'bot', 'bot']); // 0.75
 * ```
 */
export function auroc(scores: readonly number[], labels: readonly Label[]): number | null {
  checkScores(scores, labels);
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let start = 0; start < idx.length; ) {
    let end = start;
    while (end + 1 < idx.length && scores[idx[end + 1]!] === scores[idx[start]!]) end++;
    const avgRank = (start + end) / 2 + 1; // ranks are 1-based
    for (let k = start; k <= end; k++) {
      if (labels[idx[k]!] === 'bot') {
        rankSumPos += avgRank;
        pos++;
      }
    }
    start = end + 1;
  }
  const neg = scores.length - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * The true-positive rate at the lowest threshold whose false-positive rate on the same scores is at most
 * `fpr` (bot when score >= threshold). When humans score 1 so often that no threshold meets the target, the
 * answer is 0 (only labelling nothing bot meets it).
 *
 * @param scores - P(bot) per example
 * @param labels - the true labels
 * @param fpr - the FPR budget, in [0, 1)
 * @returns the TPR, or `null` when either class is missing
 *
 * @example
 * ```ts
 * tprAtFpr([0.1, 0.4, 0.35, 0.8], ['human', 'human', 'bot', 'bot'], 0.01); // 0.5
 * ```
 */
export function tprAtFpr(scores: readonly number[], labels: readonly Label[], fpr: number): number | null {
  checkScores(scores, labels);
  if (typeof fpr !== 'number' || !(fpr >= 0 && fpr < 1)) {
    throw new InvalidOptionsError('fpr', `expected a number in [0, 1), got ${describeValue(fpr)}`);
  }
  const c = thresholdAtFpr(scores, labels, fpr);
  if (!c) return null;
  return c.met ? c.tpr : 0;
}

/**
 * Expected calibration error: how far predicted P(bot) is from the observed bot rate. Scores are put into
 * `bins` equal-width bins over [0, 1] (bin b holds [b/B, (b+1)/B), the last bin also holds 1), and
 * `ECE = sum_b (n_b / n) * |mean label in b - mean score in b|` with bot = 1, human = 0. Empty bins add 0.
 *
 * @param scores - P(bot) per example
 * @param labels - the true labels
 * @param options - `bins` (default 10)
 * @returns the ECE in [0, 1], or `null` when there are no examples
 *
 * @example
 * ```ts
 * expectedCalibrationError([0.05, 0.95], ['human', 'bot']); // 0.05
 * ```
 */
export function expectedCalibrationError(
  scores: readonly number[],
  labels: readonly Label[],
  options: { bins?: number } = {},
): number | null {
  checkScores(scores, labels);
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1)
    throw new InvalidOptionsError('bins', `expected a positive integer, got ${describeValue(bins)}`);
  const n = scores.length;
  if (n === 0) return null;
  const count = new Array<number>(bins).fill(0);
  const sumScore = new Array<number>(bins).fill(0);
  const sumLabel = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    const b = Math.min(bins - 1, Math.floor(s * bins));
    count[b]!++;
    sumScore[b]! += s;
    sumLabel[b]! += labels[i] === 'bot' ? 1 : 0;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const c = count[b]!;
    if (c > 0) ece += (c / n) * Math.abs(sumLabel[b]! / c - sumScore[b]! / c);
  }
  return ece;
}

const COMPUTE_METRICS_OPTION_KEYS: OptionKeys<ComputeMetricsOptions> = {
  threshold: true,
  predicted: true,
  bins: true,
};

/**
 * All the metrics of {@link Metrics} in one pass over scores and labels.
 *
 * @param scores - P(bot) per example, in [0, 1] (leave out abstentions)
 * @param labels - the true labels
 * @param options - threshold (or predicted labels) and ECE bins
 * @throws InvalidOptionsError when lengths differ or a score is outside [0, 1]
 *
 * @example
 * ```ts
 * const m = computeMetrics([0.1, 0.4, 0.35, 0.8], ['human', 'human', 'bot', 'bot'], { threshold: 0.5 });
 * m.precision; // 1
 * m.recall; // 0.5
 * ```
 */
export function computeMetrics(
  scores: readonly number[],
  labels: readonly Label[],
  options: ComputeMetricsOptions = {},
): Metrics {
  refuseUnknownKeys(options, COMPUTE_METRICS_OPTION_KEYS, 'the options of computeMetrics()');
  checkScores(scores, labels);
  const threshold = checkInRange('threshold', options.threshold ?? 0.5, PROBABILITY);
  const predicted = options.predicted ?? scores.map((s): Label => (s >= threshold ? 'bot' : 'human'));
  const c = confusionCounts(predicted, labels);
  const positives = c.tp + c.fn;
  const negatives = c.fp + c.tn;
  return {
    n: scores.length,
    positives,
    negatives,
    confusion: c,
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, positives),
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
    accuracy: ratio(c.tp + c.tn, scores.length),
    auroc: auroc(scores, labels),
    tprAt1Fpr: tprAtFpr(scores, labels, 0.01),
    tprAt5Fpr: tprAtFpr(scores, labels, 0.05),
    ece: expectedCalibrationError(scores, labels, options.bins === undefined ? {} : { bins: options.bins }),
  };
}
