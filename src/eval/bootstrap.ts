import { describeValue } from '../core/describe-value.js';
import type { Label } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { seededRandom } from '../numeric/random.js';
import { auroc, confusionCounts } from './metrics.js';

/** Options of the percentile bootstrap (the `ci` option of `evaluateDetector`). */
export interface BootstrapOptions {
  /**
   * Resamples drawn (each the size of the data, with replacement). Bounded to keep the cost predictable.
   * @defaultValue 1000
   */
  resamples?: number;
  /**
   * Seed of the resampling, so the same data gives the same interval.
   * @defaultValue 42
   */
  seed?: number;
  /**
   * Coverage of the interval.
   * @defaultValue 0.95
   */
  level?: number;
}

/** A percentile bootstrap interval: `[low, high]`, or `null` when the metric is undefined on most resamples. */
export type Interval = [number, number] | null;

/** Percentile bootstrap intervals, as `EvaluationReport.ci` holds them. */
export interface BootstrapIntervals {
  /** Interval of the F1 of the bot class. */
  f1: Interval;
  /** Interval of the AUROC. */
  auroc: Interval;
  /** Resamples drawn. */
  resamples: number;
  /** Seed used. */
  seed: number;
  /** Coverage, e.g. 0.95. */
  level: number;
}

/** Most resamples accepted (each costs a sort of the data for the AUROC). */
export const MAX_RESAMPLES = 10_000;

function percentile(sorted: readonly number[], q: number): number {
  const at = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[at]!;
}

function interval(values: number[], resamples: number, level: number): Interval {
  if (values.length < resamples / 2) return null;
  values.sort((a, b) => a - b);
  return [percentile(values, (1 - level) / 2), percentile(values, 1 - (1 - level) / 2)];
}

/**
 * Percentile bootstrap intervals for F1 and AUROC: the data is resampled with replacement `resamples` times
 * (seeded, so the interval is reproducible) and the metrics recomputed on each resample.
 *
 * @param scores - P(bot) of each scored example
 * @param labels - true labels, aligned
 * @param predicted - predicted labels, aligned (for F1)
 * @param options - resamples, seed, level
 * @throws InvalidOptionsError for a bad option or misaligned inputs
 *
 * @example
 * ```ts
 * const ci = bootstrapIntervals(scores, labels, predicted, { resamples: 1000, seed: 7 });
 * ci.f1; // e.g. [0.91, 0.97]
 * ```
 */
export function bootstrapIntervals(
  scores: readonly number[],
  labels: readonly Label[],
  predicted: readonly Label[],
  options: BootstrapOptions = {},
): BootstrapIntervals {
  const resamples = options.resamples ?? 1000;
  const seed = options.seed ?? 42;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 10 || resamples > MAX_RESAMPLES) {
    throw new InvalidOptionsError(
      'resamples',
      `got ${describeValue(resamples)}; use a whole number from 10 to ${MAX_RESAMPLES}`,
    );
  }
  if (!Number.isInteger(seed))
    throw new InvalidOptionsError('seed', `got ${describeValue(seed)}; use an integer`);
  if (typeof level !== 'number' || !(level > 0 && level < 1)) {
    throw new InvalidOptionsError(
      'level',
      `got ${describeValue(level)}; use a number between 0 and 1, e.g. 0.95`,
    );
  }
  const n = scores.length;
  if (labels.length !== n || predicted.length !== n) {
    throw new InvalidOptionsError(
      'labels',
      `got ${labels.length} labels and ${predicted.length} predictions for ${n} scores`,
    );
  }
  const random = seededRandom(seed);
  const f1s: number[] = [];
  const aurocs: number[] = [];
  const s = new Array<number>(n);
  const l = new Array<Label>(n);
  const p = new Array<Label>(n);
  for (let r = 0; r < resamples && n > 0; r++) {
    for (let i = 0; i < n; i++) {
      const k = Math.floor(random() * n);
      s[i] = scores[k]!;
      l[i] = labels[k]!;
      p[i] = predicted[k]!;
    }
    const c = confusionCounts(p, l);
    const d = 2 * c.tp + c.fp + c.fn;
    if (d > 0) f1s.push((2 * c.tp) / d);
    const a = auroc(s, l);
    if (a !== null) aurocs.push(a);
  }
  return {
    f1: interval(f1s, resamples, level),
    auroc: interval(aurocs, resamples, level),
    resamples,
    seed,
    level,
  };
}
