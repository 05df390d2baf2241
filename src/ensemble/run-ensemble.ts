import type { DetectionFeatures } from '../core/detection-features.js';
import type { DetectionSupport } from '../core/detector.js';
import type { ValidTranscript } from '../core/transcript.js';
import { AbortedError } from '../errors/aborted-error.js';
import type { Combination } from './combination.js';
import type { MemberDeadline } from './member-deadline.js';
import { familiarityOf } from './novelty.js';
import { outcomeFeatures, outcomeScore } from './run-members.js';
import type { EnsembleCombiner } from './strategies/strategy.js';
import type { MemberOutcome } from './types.js';

/** How one transcript went through the stages: every member's outcome, who ran, and the final combination. @internal */
export interface StagedRun {
  /** Outcome per member, constructor order; `undefined` for members that did not run. */
  outcomes: (MemberOutcome | undefined)[];
  /** Indices of the members that ran, in run order. */
  ran: number[];
  /** The combination of the members that ran. */
  combination: Combination;
}

/**
 * Runs members stage by stage over many transcripts, combining after each stage and dropping a transcript
 * from later stages once the strategy is confident (when `stopEarly`). `runMember` produces one member's
 * outcomes for the transcripts still active (a batch run, or outcomes a stream already holds).
 *
 * @param strategy - the ensemble's strategy object
 * @param count - how many transcripts
 * @param members - how many members
 * @param supports - the evidence in each transcript
 * @param runMember - runs member `j` on the transcripts at `active` (indices into the batch)
 * @param options - threshold, early stop, cancellation
 * @internal
 */
export async function runStages(
  strategy: EnsembleCombiner,
  count: number,
  members: number,
  supports: readonly DetectionSupport[],
  runMember: (j: number, active: readonly number[]) => Promise<MemberOutcome[]>,
  options: Pick<RunSettings, 'threshold' | 'stopEarly' | 'signal' | 'what'>,
): Promise<StagedRun[]> {
  const runs: StagedRun[] = Array.from({ length: count }, () => newRun(members));
  let active = runs.map((_, i) => i);
  for (const stage of strategy.stages()) {
    if (active.length === 0) break;
    AbortedError.throwIfAborted(options.signal, options.what);
    // Rejects at the first cancelled member, without waiting for the others (a member may ignore its signal):
    // the ensemble keeps track of member calls still running, and its dispose() waits for them.
    const got = await Promise.all(stage.map((j) => runMember(j, active)));
    const still: number[] = [];
    active.forEach((i, k) => {
      if (advance(strategy, runs[i]!, stage, (s) => got[s]![k]!, supports[i]!, options)) still.push(i);
    });
    active = still;
  }
  AbortedError.throwIfAborted(options.signal, options.what);
  return runs;
}

/**
 * {@link runStages} for one transcript whose member outcomes are all at hand (a stream's members have all
 * answered): the same stages, combinations and early stop, without promises or per-stage batches.
 *
 * @param strategy - the ensemble's strategy object
 * @param stages - `strategy.stages()` (fixed for a strategy; a stream reads them once)
 * @param outcomes - every member's outcome, constructor order
 * @param support - the evidence the transcript holds
 * @param options - threshold and early stop
 * @internal
 */
export function stageOutcomes(
  strategy: EnsembleCombiner,
  stages: readonly (readonly number[])[],
  outcomes: readonly MemberOutcome[],
  support: DetectionSupport,
  options: Pick<RunSettings, 'threshold' | 'stopEarly'>,
): StagedRun {
  const r = newRun(outcomes.length);
  for (const stage of stages) {
    if (!advance(strategy, r, stage, (s) => outcomes[stage[s]!]!, support, options)) break;
  }
  return r;
}

/**
 * The members a staged run did not reach (a cascade that stopped early), in run order.
 *
 * @param r - the run
 * @param strategy - the strategy that ran it
 * @internal
 */
export function skippedMembers(
  r: { outcomes: readonly unknown[]; ran: readonly number[] },
  strategy: EnsembleCombiner,
): number[] {
  if (r.ran.length === r.outcomes.length) return [];
  return strategy
    .stages()
    .flat()
    .filter((j) => !r.ran.includes(j));
}

function newRun(members: number): StagedRun {
  return {
    outcomes: new Array<MemberOutcome | undefined>(members),
    ran: [],
    combination: { logOdds: null, baseline: 0, contributions: [], method: '' },
  };
}

/** Adds one stage's outcomes to `r` and combines; false when the strategy is confident enough to stop. */
function advance(
  strategy: EnsembleCombiner,
  r: StagedRun,
  stage: readonly number[],
  outcome: (s: number) => MemberOutcome,
  support: DetectionSupport,
  options: Pick<RunSettings, 'threshold' | 'stopEarly'>,
): boolean {
  for (let s = 0; s < stage.length; s++) {
    const j = stage[s]!;
    r.outcomes[j] = outcome(s);
    r.ran.push(j);
  }
  const { scores, features, familiarity } = combinerInputs(strategy, r.ran, r.outcomes);
  r.combination = strategy.combine(scores, r.ran, support, familiarity, features);
  return !(options.stopEarly && strategy.confident(r.combination, options.threshold));
}

/**
 * What a strategy combines: the scores of the members that ran (and their features, where the strategy learns on
 * them), in run order, and how familiar the transcript looks to them.
 *
 * @param strategy - the ensemble's strategy
 * @param ran - indices (constructor order) of the members that ran, in run order
 * @param outcomes - the members' outcomes, constructor order (undefined for a member that has not run)
 * @internal
 */
export function combinerInputs(
  strategy: EnsembleCombiner,
  ran: readonly number[],
  outcomes: readonly (MemberOutcome | undefined)[],
): {
  scores: (number | null)[];
  features: (DetectionFeatures | undefined)[] | undefined;
  familiarity: ReturnType<typeof familiarityOf>;
} {
  const scores: (number | null)[] = new Array(ran.length);
  const features: (DetectionFeatures | undefined)[] | undefined = strategy.usesFeatures
    ? new Array(ran.length)
    : undefined;
  for (let k = 0; k < ran.length; k++) {
    const o = outcomes[ran[k]!];
    scores[k] = outcomeScore(o);
    if (features) features[k] = outcomeFeatures(o);
  }
  return { scores, features, familiarity: familiarityOf(outcomes) };
}

/**
 * The evidence a transcript holds: the target's messages and their characters.
 *
 * @internal
 */
export function transcriptSupport(t: ValidTranscript): DetectionSupport {
  let targetMessages = 0;
  let targetCharacters = 0;
  for (const m of t.messages) {
    if (m.speaker !== t.target) continue;
    targetMessages++;
    targetCharacters += m.text.length;
  }
  return { targetMessages, targetCharacters };
}

/** How one call runs: cancellation, the operation's name, its start, the threshold and whether to stop early. */
export type RunSettings = {
  signal: AbortSignal | undefined;
  what: string;
  started: number;
  threshold: number;
  stopEarly: boolean;
  /** A bound on some members' time (the service's warm-up); none: every member is waited for. */
  memberDeadline?: MemberDeadline;
};
