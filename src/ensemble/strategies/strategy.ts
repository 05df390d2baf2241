import type { DetectionFeatures } from '../../core/detection-features.js';
import type { DetectionSupport } from '../../core/detector.js';
import type { Label } from '../../core/transcript.js';
import type { Combination } from '../combination.js';
import type { Familiarity } from '../novelty.js';
import type { NoveltyState, SerializedCombiner } from '../types.js';

/**
 * One out-of-fold training row for a strategy's combiner: each member's P(bot) (`null` when missing) on one
 * transcript, and how much evidence that transcript held.
 *
 * @internal
 */
export interface CombinerRow {
  /** P(bot) per member, constructor order; `null` when the member abstained or failed. */
  scores: (number | null)[];
  /** The evidence the scores rest on. */
  support: DetectionSupport;
  /** True for a whole transcript, false for one cut after a few target messages. */
  whole: boolean;
  /** How familiar the transcript looked to the members that judge by resemblance (`null`: none did). */
  familiarity?: Familiarity | null;
  /** The named features each member's detection offered (`undefined` where it offered none). */
  features?: (DetectionFeatures | undefined)[];
}

/** What a strategy saves in the ensemble state (the fields of `EnsembleState` it owns). @internal */
export interface StrategyState {
  combiner: SerializedCombiner | null;
  combiners: SerializedCombiner[] | null;
  /** The out-of-distribution guard (stacking only; absent in state saved before it existed). */
  novelty?: NoveltyState | null;
  /** The share of bots among the whole training transcripts (stacking; absent in earlier state). */
  trainingBotShare?: number;
}

/**
 * One ensemble strategy as an object: how it is fitted, how it combines member scores, in which stages the
 * members run, and what it saves. The ensemble holds one and never branches on the strategy's name.
 *
 * Members run in `stages()`; after each stage the strategy combines the scores of the members that ran so far
 * and may stop early ({@link EnsembleCombiner.confident}).
 *
 * @internal
 */
export interface EnsembleCombiner {
  /** Whether {@link EnsembleCombiner.fit} learns from out-of-fold scores (so `Ensemble.fit` must collect them). */
  readonly learns: boolean;
  /** Target-message counts to also cut each out-of-fold example at when fitting (empty: whole transcripts only). */
  readonly prefixCuts: readonly number[];
  /** Whether `combine` reads the members' named features (so the caller collects them). */
  readonly usesFeatures: boolean;
  /**
   * Whether {@link EnsembleCombiner.fit} learns on the members' named features (so out-of-fold fitting collects
   * them into {@link CombinerRow.features}; otherwise it leaves them out).
   */
  readonly learnsFeatures: boolean;
  /** Whether a learned combiner is in place. */
  readonly isFitted: boolean;
  /** Whether contributions are shares of a weighted mean (the explanation shows weights). */
  readonly weighted: boolean;
  /** Member indices per stage, in run order; every member appears once. */
  stages(): readonly (readonly number[])[];
  /** Throws `NotFittedError` when the strategy cannot combine before `fit()`. */
  checkFitted(ensemble: string): void;
  /** Learns the combiner(s) from out-of-fold rows (constructor-order scores) and their labels. */
  fit(rows: readonly CombinerRow[], labels: readonly Label[]): void;
  /**
   * Combines the members that ran so far.
   *
   * @param scores - P(bot) per member that ran, aligned with `ran`
   * @param ran - indices (constructor order) of the members that ran, in run order
   * @param support - how much evidence the transcript holds
   * @param familiarity - how familiar the transcript looks to the members that ran (see `familiarityOf`)
   * @param features - the named features of each member that ran (aligned with `ran`; `undefined` where a
   *   member's detection offered none), for combiners that learn on them
   */
  combine(
    scores: readonly (number | null)[],
    ran: readonly number[],
    support: DetectionSupport,
    familiarity?: Familiarity | null,
    features?: readonly (DetectionFeatures | undefined)[],
  ): Combination;
  /**
   * `combine(...).logOdds` alone, equal to it bit for bit, without the shares and notes that only the
   * explanation reads (a stream scores after every message and explains when asked). Optional: a strategy
   * without it is combined in full.
   */
  logOdds?(
    scores: readonly (number | null)[],
    ran: readonly number[],
    support: DetectionSupport,
    familiarity?: Familiarity | null,
    features?: readonly (DetectionFeatures | undefined)[],
  ): number | null;
  /** Whether a running combination is sure enough to skip the remaining stages. */
  confident(combination: Combination, threshold: number): boolean;
  /** The learned parts, for `EnsembleState`. */
  toState(): StrategyState;
  /** Restores the learned parts saved by {@link EnsembleCombiner.toState}. */
  restore(state: StrategyState): void;
}
