import type { DetectionSupport } from '../../core/detector.js';
import type { Label } from '../../core/transcript.js';
import { type LogisticModel, sigmoid } from '../../numeric/logistic-regression.js';
import { cascadeRunning, isConfident } from '../cascade.js';
import type { Combination } from '../combination.js';
import { fitCombiner } from '../stacking.js';
import { fromSerialized, toSerialized } from './serialize.js';
import type { CombinerRow, EnsembleCombiner, StrategyState } from './strategy.js';

/**
 * The `cascade` strategy: one member per stage, cheapest first, stopping once the running score is `margin`
 * log-odds from the threshold. Unfitted, the running score is the weighted mean of the members so far; fitted,
 * one logistic combiner per prefix of the run order.
 *
 * @internal
 */
export class CascadeStrategy implements EnsembleCombiner {
  readonly learns = true;
  readonly usesFeatures = false;
  readonly learnsFeatures = false;
  readonly prefixCuts: readonly number[] = [];
  readonly #order: readonly number[];
  readonly #weights: readonly number[];
  readonly #margin: number;
  readonly #l2: number;
  #combiners: LogisticModel[] | null = null;

  /**
   * @param order - member indices in run order
   * @param weights - member weights (constructor order), for the unfitted running mean
   * @param margin - early-stop distance in log-odds
   * @param l2 - L2 penalty of the per-prefix combiners
   */
  constructor(order: readonly number[], weights: readonly number[], margin: number, l2: number) {
    this.#order = order;
    this.#weights = weights;
    this.#margin = margin;
    this.#l2 = l2;
  }

  get isFitted(): boolean {
    return this.#combiners !== null;
  }

  get weighted(): boolean {
    return this.#combiners === null;
  }

  stages(): number[][] {
    return this.#order.map((j) => [j]);
  }

  checkFitted(): void {}

  fit(all: readonly CombinerRow[], allLabels: readonly Label[]): void {
    const rows = all.filter((r) => r.whole);
    const labels = allLabels.filter((_, i) => all[i]!.whole);
    this.#combiners = this.#order.map((_, k) =>
      fitCombiner(
        rows.map((r) => this.#order.slice(0, k + 1).map((j) => r.scores[j]!)),
        labels,
        this.#l2,
      ),
    );
  }

  combine(
    scores: readonly (number | null)[],
    ran: readonly number[],
    _support: DetectionSupport,
  ): Combination {
    return cascadeRunning(
      scores,
      ran.map((j) => this.#weights[j]!),
      this.#combiners?.[ran.length - 1],
    );
  }

  confident(c: Combination, threshold: number): boolean {
    return isConfident(c.logOdds === null ? null : sigmoid(c.logOdds), threshold, this.#margin);
  }

  toState(): StrategyState {
    return { combiner: null, combiners: this.#combiners ? this.#combiners.map(toSerialized) : null };
  }

  restore(state: StrategyState): void {
    this.#combiners = state.combiners ? state.combiners.map(fromSerialized) : null;
  }
}
