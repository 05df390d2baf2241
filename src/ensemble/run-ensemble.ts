import type { DetectionSupport } from '../core/detector.js';
import type { ValidTranscript } from '../core/transcript.js';
import { AbortedError } from '../errors/aborted-error.js';
import type { Combination } from './combination.js';
import { familiarityOf } from './novelty.js';
import { outcomeScore } from './run-members.js';
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
  const runs: StagedRun[] = Array.from({ length: count }, () => ({
    outcomes: new Array<MemberOutcome | undefined>(members),
    ran: [],
    combination: { logOdds: null, baseline: 0, contributions: [], method: '' },
  }));
  let active = runs.map((_, i) => i);
  for (const stage of strategy.stages()) {
    if (active.length === 0) break;
    AbortedError.throwIfAborted(options.signal, options.what);
    const got = await Promise.all(stage.map((j) => runMember(j, active)));
    const still: number[] = [];
    active.forEach((i, k) => {
      const r = runs[i]!;
      stage.forEach((j, s) => {
        r.outcomes[j] = got[s]![k]!;
        r.ran.push(j);
      });
      r.combination = strategy.combine(
        r.ran.map((j) => outcomeScore(r.outcomes[j])),
        r.ran,
        supports[i]!,
        familiarityOf(r.outcomes),
      );
      if (!(options.stopEarly && strategy.confident(r.combination, options.threshold))) still.push(i);
    });
    active = still;
  }
  AbortedError.throwIfAborted(options.signal, options.what);
  return runs;
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
};
