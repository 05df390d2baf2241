import { describeValue } from '../core/describe-value.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import type { Label } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/** Options for {@link calibrateThreshold}. */
export interface CalibrateOptions {
  /**
   * The highest false-positive rate accepted: the share of humans labelled `bot` on the calibration set.
   * A number in [0, 1), e.g. 0.01 for 1%.
   */
  fpr: number;
}

/**
 * A threshold chosen for a target false-positive rate, with what it achieves on the calibration set.
 * Labels are `bot` when score >= threshold.
 */
export interface ThresholdCalibration {
  /** The chosen threshold, in [0, 1]. */
  threshold: number;
  /** The false-positive rate asked for. */
  targetFpr: number;
  /** The false-positive rate achieved on the calibration set (humans scored >= threshold / humans). */
  fpr: number;
  /** The true-positive rate achieved on the calibration set (bots scored >= threshold / bots). */
  tpr: number;
  /**
   * Whether `fpr <= targetFpr`. False only when too many humans scored exactly 1, so no threshold in
   * [0, 1] keeps them out.
   */
  met: boolean;
  /** Number of humans (negatives) used. */
  negatives: number;
  /** Number of bots (positives) used. */
  positives: number;
}

/** Internal result of {@link thresholdAtFpr}; `null` when either class is empty. */
interface Choice {
  threshold: number;
  fpr: number;
  tpr: number;
  met: boolean;
  negatives: number;
  positives: number;
}

/**
 * The lowest threshold whose false-positive rate is at most `fpr` (so the true-positive rate is as high as it
 * can be at that FPR), or `null` when either class is missing. No validation: callers check their inputs.
 *
 * With `k = floor(fpr * humans)` false positives allowed, the threshold is the smallest score strictly above
 * the (k+1)-th highest human score; when no score is above it, 1 (nothing is labelled bot unless it scored 1).
 *
 * @internal
 */
export function thresholdAtFpr(
  scores: readonly number[],
  labels: readonly Label[],
  fpr: number,
): Choice | null {
  const neg: number[] = [];
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] === 'bot') positives++;
    else neg.push(scores[i]!);
  }
  const negatives = neg.length;
  if (negatives === 0 || positives === 0) return null;
  neg.sort((a, b) => b - a);
  // The epsilon keeps e.g. 0.29 * 100 = 28.999999999999996 from allowing one false positive too few.
  const allowed = Math.floor(fpr * negatives + 1e-9);
  let threshold: number;
  if (allowed >= negatives) {
    threshold = Math.min(...scores);
  } else {
    const cut = neg[allowed]!;
    let above = Number.POSITIVE_INFINITY;
    for (const s of scores) if (s > cut && s < above) above = s;
    threshold = above === Number.POSITIVE_INFINITY ? 1 : above;
  }
  let fp = 0;
  let tp = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]! >= threshold) {
      if (labels[i] === 'bot') tp++;
      else fp++;
    }
  }
  const achieved = fp / negatives;
  return {
    threshold,
    fpr: achieved,
    tpr: tp / positives,
    met: achieved <= fpr + 1e-12,
    negatives,
    positives,
  };
}

const CALIBRATE_OPTION_KEYS: OptionKeys<CalibrateOptions> = { fpr: true };

/**
 * Chooses the decision threshold for a target false-positive rate: the lowest threshold at which at most
 * `fpr` of the humans (negatives) on the calibration set score at or above it. Use scores the detector did
 * not see in `fit()`, or the achieved rates are optimistic. `Ensemble.calibrate()` calls this on its own scores.
 *
 * @param scores - P(bot) per example, in [0, 1] (leave out abstentions)
 * @param labels - the true label of each example
 * @param options - the target rate
 * @returns the threshold and the FPR/TPR it achieves on these scores
 * @throws InvalidOptionsError when lengths differ, a score is not in [0, 1], `fpr` is not in [0, 1), or
 *   either class is missing
 *
 * @example
 * ```ts
 * const c = calibrateThreshold([0.1, 0.4, 0.35, 0.8], ['human', 'human', 'bot', 'bot'], { fpr: 0 });
 * c.threshold; // 0.8: the lowest threshold above every human
 * c.tpr; // 0.5
 * ```
 */
export function calibrateThreshold(
  scores: readonly number[],
  labels: readonly Label[],
  options: CalibrateOptions,
): ThresholdCalibration {
  refuseUnknownKeys(options, CALIBRATE_OPTION_KEYS, 'the options of calibrateThreshold()');
  const { fpr } = options;
  if (typeof fpr !== 'number' || !(fpr >= 0 && fpr < 1)) {
    throw new InvalidOptionsError(
      'fpr',
      `expected a number in [0, 1), e.g. 0.01 for 1%, got ${describeValue(fpr)}`,
    );
  }
  checkScores(scores, labels);
  const c = thresholdAtFpr(scores, labels, fpr);
  if (!c) {
    throw new InvalidOptionsError(
      'examples',
      'calibration needs at least one human and one bot (after leaving out abstentions): add labelled examples of both',
    );
  }
  return { ...c, targetFpr: fpr };
}

/**
 * Checks parallel score and label arrays.
 *
 * @internal
 */
export function checkScores(scores: readonly number[], labels: readonly Label[]): void {
  if (scores.length !== labels.length) {
    throw new InvalidOptionsError('labels', `has ${labels.length} labels for ${scores.length} scores`);
  }
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (typeof s !== 'number' || !(s >= 0 && s <= 1)) {
      throw new InvalidOptionsError(
        'scores',
        `scores[${i}] is ${String(s)}; scores must be P(bot) in [0, 1]`,
      );
    }
    const l = labels[i];
    if (l !== 'bot' && l !== 'human') {
      throw new InvalidOptionsError('labels', `labels[${i}] is ${describeValue(l)}; use "human" or "bot"`);
    }
  }
}
