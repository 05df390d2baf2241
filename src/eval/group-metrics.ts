import type { Label } from '../core/transcript.js';
import { computeMetrics, type Metrics } from './metrics.js';

/**
 * The headline metrics of one slice of an evaluation (a group of rows, or one ensemble member), in the
 * library's camelCase keys, which the CLI's `--json` output uses too.
 */
export interface GroupMetrics {
  /** Scored examples in the slice (abstentions left out). */
  n: number;
  /** F1 of the bot class; `null` when undefined on the slice. */
  f1: number | null;
  /** Precision of the bot class. */
  precision: number | null;
  /** Recall of the bot class. */
  recall: number | null;
  /** Area under the ROC curve; `null` without both classes. */
  auroc: number | null;
  /** TPR at 1% FPR; `null` without both classes. */
  tprAt1Fpr: number | null;
  /** Expected calibration error (10 equal-width bins). */
  ece: number | null;
}

/** Scored examples of one slice: P(bot), the true label and the predicted label of each, aligned. */
export interface ScoredSlice {
  /** P(bot) of each example. */
  scores: number[];
  /** The true labels. */
  labels: Label[];
  /** The labels the detector gave. */
  predicted: Label[];
}

/**
 * The {@link GroupMetrics} of a slice.
 *
 * @param slice - scores, true labels and predicted labels
 * @example
 * ```ts
 * groupMetrics({ scores: [0.9, 0.2], labels: ['bot', 'human'], predicted: ['bot', 'human'] }).f1; // 1
 * ```
 */
export function groupMetrics(slice: ScoredSlice): GroupMetrics {
  return pickGroupMetrics(computeMetrics(slice.scores, slice.labels, { predicted: slice.predicted }));
}

/** The {@link GroupMetrics} fields of full {@link Metrics}. @internal */
export function pickGroupMetrics(m: Metrics): GroupMetrics {
  return {
    n: m.n,
    f1: m.f1,
    precision: m.precision,
    recall: m.recall,
    auroc: m.auroc,
    tprAt1Fpr: m.tprAt1Fpr,
    ece: m.ece,
  };
}
