import type { DetectionFeatures } from '../../core/detection-features.js';
import type { DetectionSupport } from '../../core/detector.js';
import type { Label } from '../../core/transcript.js';
import { NotFittedError } from '../../errors/not-fitted-error.js';
import type { Combination } from '../combination.js';
import { type Familiarity, fitNovelty, guardedLogOdds, guardNovelty } from '../novelty.js';
import { PREFIX_CUTS } from '../out-of-fold.js';
import { priorShift, trainingBotShare, withPriorShift } from '../prior-shift.js';
import { combineStacking, fitCombiner, type StackingModel, stackingLogOdds } from '../stacking.js';
import type { NoveltyMode, NoveltyState } from '../types.js';
import { fromSerialized, toSerialized } from './serialize.js';
import type { CombinerRow, EnsembleCombiner, StrategyState } from './strategy.js';

/**
 * The `stacking` strategy: every member in one stage, combined by a logistic combiner learned from out-of-fold
 * member scores on whole training transcripts and on their prefix cuts ({@link PREFIX_CUTS}). The combiner is
 * evidence-aware: besides each member's log-odds it sees them scaled by how thin the evidence is
 * (`1 / sqrt(target messages)`), so a verdict from one message is shrunk as far as the training data says it
 * should be. State saved by earlier versions (two weights per member) still loads and combines as before.
 *
 * @internal
 */
export class StackingStrategy implements EnsembleCombiner {
  readonly learns = true;
  readonly prefixCuts = PREFIX_CUTS;
  readonly #memberFeatures: boolean;
  readonly weighted = false;
  readonly #members: number;
  readonly #l2: number;
  readonly #names: readonly string[];
  readonly #guard: NoveltyMode | 'off';
  readonly #lengthTerms: boolean;
  readonly #prior: number | null;
  #model: StackingModel | null = null;
  #novelty: NoveltyState | null = null;
  #trainingShare: number | undefined;
  /** `logit(prior) - logit(training share)`, 0 without a prior (see `priorShift`). */
  #shift = 0;

  /**
   * @param names - the members' names, constructor order
   * @param l2 - L2 penalty of the combiner
   * @param guard - what the out-of-distribution guard does (see `fitNovelty`), or `off`
   * @param lengthTerms - whether the combiner also learns the message-length terms (the members were fitted
   *   on prefix cuts: `memberPrefixCuts` not empty)
   * @param memberFeatures - whether the combiner also learns on the members' named features (option
   *   `memberFeatures`)
   * @param prior - the share of bots expected where the ensemble is used (option `prior`), or `null`
   */
  constructor(
    names: readonly string[],
    l2: number,
    guard: NoveltyMode | 'off' = 'report',
    lengthTerms = false,
    memberFeatures = false,
    prior: number | null = null,
  ) {
    this.#prior = prior;
    this.#memberFeatures = memberFeatures;
    this.#members = names.length;
    this.#names = names;
    this.#l2 = l2;
    this.#guard = guard;
    this.#lengthTerms = lengthTerms;
  }

  /** The option `memberFeatures`: whether `fit` learns on the members' named features. */
  get learnsFeatures(): boolean {
    return this.#memberFeatures;
  }

  /** True when the fitted combiner learned on member features (a restored one, whatever the option says). */
  get usesFeatures(): boolean {
    return (this.#model?.memberFeatures?.length ?? 0) > 0;
  }

  get isFitted(): boolean {
    return this.#model !== null;
  }

  stages(): number[][] {
    return [Array.from({ length: this.#members }, (_, j) => j)];
  }

  checkFitted(ensemble: string): void {
    if (this.#model === null) {
      throw new NotFittedError(
        `Ensemble "${ensemble}"`,
        'the stacking strategy learns its combiner from labelled data: call ensemble.fit(examples) first, or restore fitted state with Ensemble.fromJSON(state, { resolve }).',
      );
    }
  }

  fit(rows: readonly CombinerRow[], labels: readonly Label[]): void {
    this.#model = fitCombiner(
      rows.map((r) => r.scores),
      labels,
      this.#l2,
      rows.map((r) => r.support),
      this.#lengthTerms,
      this.#memberFeatures ? rows.map((r) => r.features) : undefined,
    );
    this.#novelty =
      this.#guard !== 'off'
        ? fitNovelty(
            rows.map((r) => ({ scores: r.scores, support: r.support, familiarity: r.familiarity ?? null })),
            labels,
            this.#l2,
            this.#guard,
            this.#lengthTerms,
          )
        : null;
    this.#setTrainingShare(trainingBotShare(labels, (i) => rows[i]!.whole));
  }

  #setTrainingShare(share: number | undefined): void {
    this.#trainingShare = share;
    this.#shift = priorShift(this.#prior, share);
  }

  combine(
    scores: readonly (number | null)[],
    _ran: readonly number[],
    support: DetectionSupport,
    familiarity?: Familiarity | null,
    features?: readonly (DetectionFeatures | undefined)[],
  ): Combination {
    const main = combineStacking(this.#model!, scores, support, features, (j) => `"${this.#names[j]}"`);
    const c =
      this.#novelty === null || scores.length !== this.#members
        ? main
        : guardNovelty(
            this.#novelty,
            main,
            scores,
            support,
            familiarity ?? null,
            (j) => `"${this.#names[j]}"`,
            this.#shift,
          );
    return withPriorShift(c, this.#shift, this.#prior, this.#trainingShare);
  }

  logOdds(
    scores: readonly (number | null)[],
    _ran: readonly number[],
    support: DetectionSupport,
    familiarity?: Familiarity | null,
    features?: readonly (DetectionFeatures | undefined)[],
  ): number | null {
    const main = stackingLogOdds(this.#model!, scores, support, features);
    const z =
      this.#novelty === null || scores.length !== this.#members
        ? main
        : guardedLogOdds(this.#novelty, main, scores, support, familiarity ?? null);
    // The same sum as `withPriorShift` in `combine`, so the same double.
    return z === null || this.#shift === 0 ? z : z + this.#shift;
  }

  confident(): boolean {
    return false;
  }

  toState(): StrategyState {
    return {
      combiner: this.#model ? toSerialized(this.#model) : null,
      combiners: null,
      novelty: this.#novelty,
      ...(this.#trainingShare !== undefined && { trainingBotShare: this.#trainingShare }),
    };
  }

  restore(state: StrategyState): void {
    this.#model = state.combiner ? fromSerialized(state.combiner) : null;
    this.#novelty = state.novelty ?? null;
    this.#setTrainingShare(state.trainingBotShare);
  }
}
