import type { DetectionFeatures } from '../core/detection-features.js';
import type { Detection, DetectOptions, Detector } from '../core/detector.js';
import { markFoldFit } from '../core/training-marks.js';
import type { Label, LabelledTranscript, ValidTranscript } from '../core/transcript.js';
import { validateTranscript } from '../core/validate.js';
import { yieldToEventLoop } from '../core/yield-to-event-loop.js';
import { truncatedFrom } from '../data/transcript-limits.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { groupFolds, stratifiedFolds } from './folds.js';
import { copiesOf, MemberExamples } from './member-examples.js';
import { familiarityFrom, neighbourSimilarity } from './novelty.js';
import { cutAfterTargetMessage } from './prefix-cut.js';
import { transcriptSupport } from './run-ensemble.js';
import {
  isMemberFailure,
  outcomeFeatures,
  outcomeScore,
  runMemberBatch,
  settleMember,
} from './run-members.js';
import type { CombinerRow } from './strategies/strategy.js';
import type { MemberOutcome } from './types.js';

/**
 * Where the ensemble's evidence-aware combiner also looks: every training conversation cut right after the
 * target's 1st, 2nd, 3rd, 5th and 8th message (when it runs longer), so it learns how far to trust each member
 * at each amount of evidence.
 *
 * @internal
 */
export const PREFIX_CUTS: readonly number[] = [1, 2, 3, 5, 8];

/** Options for {@link outOfFoldScores}. */
export interface OutOfFoldOptions {
  /** Number of folds. */
  folds: number;
  /** Seed of the stratified split. */
  seed: number;
  /**
   * The group of each example (e.g. its data source): when given, folds keep groups whole (`groupFolds`, at most
   * `folds` of them) instead of being stratified, so each example is scored by members fitted on other groups.
   */
  groups?: readonly string[] | undefined;
  /** Makes a fresh member per fold; without it members are re-fitted in place. */
  cloneMember?: ((detector: Detector) => Detector) | undefined;
  /** Cancels the work. */
  signal?: AbortSignal | undefined;
  /** The operation, for error messages. */
  what: string;
  /** Also score each held-out example cut after these many target messages ({@link PREFIX_CUTS}). */
  prefixCuts?: readonly number[];
  /** Fit each fold's members on its training examples and on them cut after these many target messages. */
  memberCuts?: readonly number[];
  /** Per example, whether its cuts (`memberCuts`) are added (see `cutSources`); all when absent. */
  memberCutFrom?: ArrayLike<number>;
  /**
   * The examples and cuts members learn from, shared with the caller's final fit (its `memberCuts` and
   * `memberCutFrom` are then not read); built from `examples`, `memberCuts` and `memberCutFrom` when absent.
   */
  memberExamples?: MemberExamples;
  /** Collect each row's member features (`CombinerRow.features`), for a strategy that learns on them. */
  features?: boolean;
}

/** The out-of-fold rows a strategy learns from, whole transcripts first, then their prefix cuts. @internal */
export interface OutOfFoldRows {
  rows: CombinerRow[];
  labels: Label[];
}

/**
 * Fits one member, naming it in the error when it cannot be fitted (for example a CLIP member given
 * transcripts without profiles), so the user knows which member to fix or drop. Cancellation passes through.
 *
 * @param member - the member (or its per-fold copy)
 * @param examples - its training examples
 * @param signal - cancels the work
 * @param what - the operation, for error messages
 * @throws BotlensError `MEMBER_FIT_FAILED` with the member's error as `cause`
 *
 * @internal
 */
export async function fitMember(
  member: Detector,
  examples: LabelledTranscript[],
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  if (!member.fit) return;
  try {
    await member.fit(examples, signal ? { signal } : {});
  } catch (err) {
    if (AbortedError.isInstance(err)) throw err;
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new BotlensError(
      'MEMBER_FIT_FAILED',
      `Member "${member.name}" could not be fitted while ${what} ran (${msg}). Give it examples it can learn from, or remove it from the ensemble.`,
      { cause: err },
    );
  }
}

/**
 * Scores every example with every member without letting a member judge an example it was fitted on.
 * Members with `fit()` are fitted on K-1 folds (stratified, or keeping `groups` whole) and score the held-out fold, fold after fold (on a fresh copy
 * from `cloneMember` when given, else in place). Members without `fit()` have nothing to leak, so they score
 * all examples once. A member with `detectPrefixes` ({@link PrefixDetector}) scores each example and its prefix
 * cuts in one pass over the example; any other member scores every cut on its own. A member that abstains or
 * fails on an example gives `null` there; a member that fails on every example makes the whole call throw,
 * since a combiner cannot learn anything from it.
 *
 * The members are left fitted on the last training split; the caller re-fits them on all examples.
 *
 * @param members - the ensemble's members
 * @param examples - the labelled examples (passed to `fit()`)
 * @param valids - the same examples, validated (passed to `detect()`)
 * @param options - folds, seed, cloning and cancellation
 * @returns one row per scored transcript (the examples, then their prefix cuts) with its label
 *
 * @internal
 */
export async function outOfFoldScores(
  members: readonly Detector[],
  examples: readonly LabelledTranscript[],
  valids: readonly ValidTranscript[],
  options: OutOfFoldOptions,
): Promise<OutOfFoldRows> {
  const { signal, what } = options;
  // Each example, then its prefix cuts: `source[r]` is the example row r was cut from.
  const source: number[] = valids.map((_, i) => i);
  const scored: ValidTranscript[] = [...valids];
  for (const k of options.prefixCuts ?? []) {
    valids.forEach((v, i) => {
      // Not of a truncated example: cut after its k-th kept message, it would pass for a chat's opening.
      if (truncatedFrom(examples[i]!) !== undefined) return;
      const c = cutAfterTargetMessage(v, k);
      if (c !== null && c.messages.length < v.messages.length) {
        source.push(i);
        scored.push(validateTranscript(c));
      }
    });
  }
  // The scored rows cut from each example (itself first), built in one pass.
  const rowsOf: number[][] = valids.map(() => []);
  source.forEach((s, r) => {
    rowsOf[s]!.push(r);
  });
  const labels = examples.map((e) => e.label);
  const { foldOf, folds } =
    options.groups === undefined
      ? { foldOf: stratifiedFolds(labels, options.folds, options.seed), folds: options.folds }
      : groupFolds(options.groups, labels, options.folds);
  // The members' training examples and cuts, cut and validated once for every fold.
  const training =
    options.memberExamples ??
    new MemberExamples(examples, options.memberCuts ?? [], options.memberCutFrom, copiesOf(examples, valids));
  const out: (number | null)[][] = [];
  // Per member, what the guard needs of each outcome (not the outcomes: their evidence is large).
  const similarities: (number | null)[][] = [];
  // Per member, the named features its detections offered (kept, not their evidence), when asked for.
  const features: (DetectionFeatures | undefined)[][] | undefined = options.features ? [] : undefined;
  for (const member of members) {
    await yieldToEventLoop();
    AbortedError.throwIfAborted(signal, what);
    const outcomes = new Array<MemberOutcome>(scored.length);
    if (!member.fit) {
      await scoreExamples(
        member,
        valids.map((_, i) => i),
        rowsOf,
        scored,
        outcomes,
        signal,
        what,
      );
    } else {
      for (let f = 0; f < folds; f++) {
        // Each fold is CPU-bound: a turn of the event loop between them lets a progress line tick and Ctrl-C act.
        await yieldToEventLoop();
        AbortedError.throwIfAborted(signal, what);
        const train = markFoldFit(training.select((i) => foldOf[i] !== f));
        const heldOut: number[] = [];
        foldOf.forEach((g, i) => {
          if (g === f) heldOut.push(i);
        });
        const inst = options.cloneMember ? options.cloneMember(member) : member;
        if (!inst.fit) {
          throw new InvalidOptionsError(
            'cloneMember',
            `the copy of "${member.name}" has no fit(): return an unfitted instance of the same class`,
          );
        }
        try {
          await fitMember(inst, train, signal, what);
          await scoreExamples(inst, heldOut, rowsOf, scored, outcomes, signal, what);
        } finally {
          if (inst !== member) await inst.dispose?.();
        }
      }
    }
    if (outcomes.length > 0 && outcomes.every((o) => isMemberFailure(o))) {
      const first = outcomes[0]!;
      const msg = isMemberFailure(first) ? `${first.error.name}: ${first.error.message}` : '';
      throw new BotlensError(
        'MEMBER_FAILED',
        `Member "${member.name}" failed on every example while ${what} scored them (${msg}). Fix the member or remove it from the ensemble.`,
      );
    }
    out.push(outcomes.map((o) => outcomeScore(o)));
    similarities.push(outcomes.map(neighbourSimilarity));
    features?.push(outcomes.map(outcomeFeatures));
  }
  return {
    rows: scored.map((v, r) => ({
      scores: out.map((col) => col[r]!),
      support: transcriptSupport(v),
      whole: r < valids.length,
      familiarity: familiarityFrom(similarities.map((col) => col[r]!)),
      ...(features && { features: features.map((col) => col[r]) }),
    })),
    labels: source.map((i) => examples[i]!.label),
  };
}

/**
 * A member that scores groups of growing prefixes of one transcript in one pass over each (what out-of-fold
 * fitting scores: each held-out transcript and its cuts). The embedding detector implements it; any member
 * without it scores every prefix on its own through `detectBatch`.
 *
 * @internal
 */
export interface PrefixDetector {
  /**
   * @param groups - per group, transcripts that are prefixes of the longest one (same target and messages)
   * @param opts - `signal` to cancel
   * @returns per group, the detection of each transcript (each equal to `detect()` on it up to rounding)
   */
  detectPrefixes(
    groups: readonly (readonly ValidTranscript[])[],
    opts?: DetectOptions,
  ): Promise<Detection[][]>;
}

function isPrefixDetector(d: Detector): d is Detector & PrefixDetector {
  return typeof (d as Partial<PrefixDetector>).detectPrefixes === 'function';
}

/**
 * Scores the rows of some examples (each example's scored rows: itself and its prefix cuts, `rowsOf`) with one
 * member into `outcomes`: through `detectPrefixes` when the member has it (one pass per example), else, or when
 * that call fails, through `runMemberBatch` (errors kept as data; cancellation propagates).
 */
async function scoreExamples(
  member: Detector,
  examples: readonly number[],
  rowsOf: readonly (readonly number[])[],
  scored: readonly ValidTranscript[],
  outcomes: MemberOutcome[],
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  if (isPrefixDetector(member)) {
    try {
      const groups = examples.map((i) => rowsOf[i]!.map((r) => scored[r]!));
      const got = await member.detectPrefixes(groups, signal ? { signal } : {});
      if (
        !Array.isArray(got) ||
        got.length !== groups.length ||
        got.some((g, k) => g?.length !== groups[k]!.length)
      ) {
        throw new BotlensError(
          'BAD_DETECTION',
          `Member "${member.name}" detectPrefixes() returned a result of the wrong shape.`,
        );
      }
      for (let k = 0; k < examples.length; k++) {
        const rows = rowsOf[examples[k]!]!;
        for (let j = 0; j < rows.length; j++) {
          const d = got[k]![j]!;
          outcomes[rows[j]!] = await settleMember(member, () => Promise.resolve(d), signal, what);
        }
      }
      return;
    } catch (err) {
      // Cancellation propagates; any other failure is retried row by row below.
      if (AbortedError.isInstance(err)) throw err;
      if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
    }
  }
  const rows = examples.flatMap((i) => rowsOf[i]!);
  const got = await runMemberBatch(
    member,
    rows.map((r) => scored[r]!),
    signal,
    what,
  );
  rows.forEach((r, k) => {
    outcomes[r] = got[k]!;
  });
}
