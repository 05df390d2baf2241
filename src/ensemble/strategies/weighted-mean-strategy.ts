import type { DetectionSupport } from '../../core/detector.js';
import type { Combination } from '../combination.js';
import { combineWeightedMean } from '../weighted-mean.js';
import type { EnsembleCombiner, StrategyState } from './strategy.js';

/**
 * The `weighted-mean` strategy: every member in one stage, combined by the weighted mean of their log-odds.
 * Nothing to learn; `fit()` only fits the members.
 *
 * @internal
 */
export class WeightedMeanStrategy implements EnsembleCombiner {
  readonly learns = false;
  readonly usesFeatures = false;
  readonly learnsFeatures = false;
  readonly isFitted = false;
  readonly prefixCuts: readonly number[] = [];
  readonly weighted = true;
  readonly #weights: readonly number[];

  /** @param weights - one non-negative weight per member, constructor order */
  constructor(weights: readonly number[]) {
    this.#weights = weights;
  }

  stages(): number[][] {
    return [this.#weights.map((_, j) => j)];
  }

  checkFitted(): void {}

  fit(): void {}

  combine(
    scores: readonly (number | null)[],
    ran: readonly number[],
    _support: DetectionSupport,
  ): Combination {
    return combineWeightedMean(
      scores,
      ran.map((j) => this.#weights[j]!),
    );
  }

  confident(): boolean {
    return false;
  }

  toState(): StrategyState {
    return { combiner: null, combiners: null };
  }

  restore(): void {}
}
