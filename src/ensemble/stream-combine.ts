import type { DetectionSupport } from '../core/detector.js';
import type { DeferredCombination } from './combination.js';
import type { ResultParts } from './explain.js';
import { combinerInputs, stageOutcomes } from './run-ensemble.js';
import type { EnsembleCombiner } from './strategies/strategy.js';
import type { MemberOutcome } from './types.js';

/**
 * A stream's combination of one stage holding every member (what `stageOutcomes` computes for a single-stage
 * strategy: the same scores, familiarity and features, handed to the same strategy), with only the log-odds
 * worked out now (`strategy.logOdds`, bit for bit `combine(...).logOdds`) and the full combination deferred
 * until the result's explanation is read. Undefined when the strategy has no `logOdds` or runs in stages (a
 * cascade may stop early on the running combination: it is combined in full).
 *
 * @param strategy - the ensemble's strategy
 * @param stages - `strategy.stages()`
 * @param outcomes - every member's outcome, constructor order
 * @param support - the evidence the transcript holds
 * @internal
 */
export function deferredStage(
  strategy: EnsembleCombiner,
  stages: readonly (readonly number[])[],
  outcomes: readonly MemberOutcome[],
  support: DetectionSupport,
): { ran: number[]; combination: DeferredCombination } | undefined {
  if (stages.length !== 1 || strategy.logOdds === undefined) return undefined;
  const ran = [...stages[0]!];
  const { scores, features, familiarity } = combinerInputs(strategy, ran, outcomes);
  return {
    ran,
    combination: {
      logOdds: strategy.logOdds(scores, ran, support, familiarity, features),
      explain: () => strategy.combine(scores, ran, support, familiarity, features),
    },
  };
}

/** What an ensemble result is built from: who ran, their outcomes, and the (possibly deferred) combination. @internal */
export type ResultRun = Pick<ResultParts, 'outcomes' | 'ran' | 'combination'>;

/**
 * A stream push's run: {@link deferredStage} where the strategy allows it, else `stageOutcomes` (the stages and
 * early stop of `detect()`).
 *
 * @param strategy - the ensemble's strategy
 * @param stages - `strategy.stages()`
 * @param outcomes - every member's outcome, constructor order
 * @param support - the evidence the transcript holds
 * @param threshold - the ensemble's threshold (a cascade stops relative to it)
 * @internal
 */
export function streamRun(
  strategy: EnsembleCombiner,
  stages: readonly (readonly number[])[],
  outcomes: readonly MemberOutcome[],
  support: DetectionSupport,
  threshold: number,
): ResultRun {
  const deferred = deferredStage(strategy, stages, outcomes, support);
  if (deferred) return { outcomes, ...deferred };
  return stageOutcomes(strategy, stages, outcomes, support, { threshold, stopEarly: true });
}
