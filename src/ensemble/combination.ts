import type { Evidence } from '../core/detector.js';

/**
 * How a strategy combined the members' scores for one transcript: the combined log-odds and each member's
 * additive share of it, which the explanation sentences report.
 */
export interface Combination {
  /** Combined log-odds of bot, or `null` when no member produced a score (the ensemble abstains). */
  logOdds: number | null;
  /** The part of `logOdds` that comes from no member (a fitted combiner's intercept; 0 for a mean). */
  baseline: number;
  /** Per member (aligned with the input), its additive share of `logOdds`; `null` when it took no part. */
  contributions: (number | null)[];
  /** A short phrase naming the method, for the explanation, e.g. `the weighted mean of 2 members' log-odds`. */
  method: string;
  /**
   * Further evidence entries the strategy adds (e.g. how the amount of evidence shrank the score); each with a
   * `contribution` is part of `logOdds` beside the members' shares and `baseline`.
   */
  notes?: Evidence[];
}

/**
 * A combination whose log-odds are known and whose shares and notes are worked out only when the explanation is
 * read (`explain()` returns the full {@link Combination}, with the same `logOdds`): a stream scores after every
 * message, and most callers read the score only.
 *
 * @internal
 */
export interface DeferredCombination {
  /** Combined log-odds of bot, or `null` when the ensemble abstains; equal to `explain().logOdds`. */
  logOdds: number | null;
  /** The full combination (called at most once, when the result's evidence or explanation is first read). */
  explain: () => Combination;
}
