import type { DetectionFeatures } from '../core/detection-features.js';
import type { DetectionSupport } from '../core/detector.js';
import type { Combination, DeferredCombination } from './combination.js';
import type { ResultParts } from './explain.js';
import { familiarityOf } from './novelty.js';
import { combinerInputs, stageOutcomes } from './run-ensemble.js';
import { outcomeFeatures, outcomeScore } from './run-members.js';
import type { EnsembleCombiner } from './strategies/strategy.js';
import type { MemberOutcome } from './types.js';

/** What an ensemble result is built from: who ran, their outcomes, and the (possibly deferred) combination. @internal */
export type ResultRun = Pick<ResultParts, 'outcomes' | 'ran' | 'combination'>;

/**
 * A stream push's run: the members' current outcomes, combined.
 *
 * @param outcomes - every member's outcome, constructor order (kept by the result: a fresh array per push)
 * @param support - the evidence the transcript holds
 * @param threshold - the ensemble's threshold (a cascade stops relative to it)
 * @internal
 */
export type StreamRun = (
  outcomes: readonly MemberOutcome[],
  support: DetectionSupport,
  threshold: number,
) => ResultRun;

/**
 * A one-stage combination whose full form is worked out only when the result's explanation is read: a class,
 * so a push makes one small object and no closure.
 */
class Deferred implements DeferredCombination {
  constructor(
    readonly logOdds: number | null,
    private readonly strategy: EnsembleCombiner,
    private readonly ran: readonly number[],
    private readonly outcomes: readonly MemberOutcome[],
    private readonly support: DetectionSupport,
  ) {}

  /** The inputs again, from the outcomes (the stream's buffers have moved on since), combined in full. */
  explain(): Combination {
    const { strategy, ran, support } = this;
    const { scores, features, familiarity } = combinerInputs(strategy, ran, this.outcomes);
    return strategy.combine(scores, ran, support, familiarity, features);
  }
}

/**
 * How one stream combines at each push. For a strategy with one stage holding every member and a `logOdds`
 * (stacking, weighted mean), each push works out only the log-odds (`strategy.logOdds`, bit for bit
 * `combine(...).logOdds`), from score and feature buffers the stream reuses, and defers the full combination
 * until the result's explanation is read (it then recomputes the same inputs from the outcomes the result
 * keeps). Otherwise (a cascade, which may stop early on the running combination) each push runs
 * `stageOutcomes`: the stages and early stop of `detect()`.
 *
 * @param strategy - the ensemble's strategy
 * @param stages - `strategy.stages()` (fixed for a strategy)
 * @internal
 */
export function streamCombiner(
  strategy: EnsembleCombiner,
  stages: readonly (readonly number[])[],
): StreamRun {
  if (stages.length !== 1 || strategy.logOdds === undefined) {
    return (outcomes, support, threshold) =>
      stageOutcomes(strategy, stages, outcomes, support, { threshold, stopEarly: true });
  }
  const logOdds = strategy.logOdds.bind(strategy);
  // One copy for the stream's lifetime: results read it, nobody writes it.
  const ran: readonly number[] = Object.freeze([...stages[0]!]);
  const scores: (number | null)[] = new Array(ran.length).fill(null);
  const features: (DetectionFeatures | undefined)[] | undefined = strategy.usesFeatures
    ? new Array(ran.length).fill(undefined)
    : undefined;
  return (outcomes, support) => {
    // What `combinerInputs` gives, into the buffers.
    for (let k = 0; k < ran.length; k++) {
      const o = outcomes[ran[k]!];
      scores[k] = outcomeScore(o);
      if (features) features[k] = outcomeFeatures(o);
    }
    const z = logOdds(scores, ran, support, familiarityOf(outcomes), features);
    return { outcomes, ran, combination: new Deferred(z, strategy, ran, outcomes, support) };
  };
}
