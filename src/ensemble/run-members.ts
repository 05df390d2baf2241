import { batchCountProblem, detectionProblemFor } from '../core/assert-detection.js';
import { nowMs } from '../core/detection.js';
import { type DetectionFeatures, detectionFeatures } from '../core/detection-features.js';
import type { Detection, DetectOptions, Detector } from '../core/detector.js';
import type { Message, ValidTranscript } from '../core/transcript.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import type { MemberError, MemberFailure, MemberOutcome } from './types.js';

/**
 * True when a member outcome is an error kept as data rather than a detection.
 *
 * @param outcome - one entry of `EnsembleResult.members`
 *
 * @example
 * ```ts
 * for (const m of result.members) if (isMemberFailure(m)) console.warn(m.detector, m.error.message);
 * ```
 */
export function isMemberFailure(outcome: MemberOutcome): outcome is MemberFailure {
  return 'error' in outcome;
}

/** The member's P(bot), or `null` when it abstained, failed, or did not run. */
export function outcomeScore(outcome: MemberOutcome | undefined): number | null {
  if (outcome === undefined || isMemberFailure(outcome)) return null;
  return typeof outcome.score === 'number' && Number.isFinite(outcome.score) ? outcome.score : null;
}

/**
 * The named features a member's detection offered a learned combiner ({@link DetectionFeatures}), or
 * `undefined` when it offered none, abstained, failed or did not run.
 *
 * @internal
 */
export function outcomeFeatures(outcome: MemberOutcome | undefined): DetectionFeatures | undefined {
  if (outcome === undefined || isMemberFailure(outcome) || outcome.score === null) return undefined;
  return detectionFeatures(outcome);
}

/** Turns anything thrown into a {@link MemberError}. */
function errorAsData(err: unknown): MemberError {
  if (err instanceof Error || BotlensError.isInstance(err)) {
    const e = err as Error & { code?: unknown };
    return {
      name: e.name || 'Error',
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      message: e.message,
    };
  }
  return { name: 'Error', message: String(err) };
}

/**
 * Rethrows errors that must sink the whole call (cancellation) and returns any other as data.
 * A member that rejects for any reason after the signal aborted counts as cancelled.
 */
function failure(
  detector: Detector,
  err: unknown,
  startedMs: number,
  signal: AbortSignal | undefined,
  what: string,
): MemberFailure {
  if (AbortedError.isInstance(err)) throw err;
  if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
  return { detector: detector.name, error: errorAsData(err), elapsedMs: nowMs() - startedMs };
}

/**
 * Checks a member kept its part of the contract (the one check of `assertDetection`, its own name included), so
 * a broken member becomes an error instead of a crash or a wrong score.
 */
function checkDetection(
  detector: Detector,
  d: unknown,
  call = "detect() (or its stream's push())",
): Detection {
  const problem = detectionProblemFor(d, detector.name);
  if (problem === undefined) return d as Detection;
  throw badDetection(detector, `returned a detection that breaks the Detection contract: ${problem}`, call);
}

/** The `BAD_DETECTION` error for a member that broke the contract: what it did, and what to fix. */
function badDetection(detector: Detector, what: string, call: string): BotlensError {
  return new BotlensError('BAD_DETECTION', `Member "${detector.name}" ${what}. Fix the member's ${call}.`);
}

/**
 * Runs one member on one transcript, keeping a thrown error as data. `AbortedError` propagates.
 *
 * @param detector - the member
 * @param t - the validated transcript
 * @param signal - the caller's signal
 * @param what - the operation, for the `AbortedError` message
 */
async function runMember(
  detector: Detector,
  t: ValidTranscript,
  signal: AbortSignal | undefined,
  what: string,
): Promise<MemberOutcome> {
  return settleMember(detector, () => detector.detect(t, signal ? { signal } : {}), signal, what);
}

/**
 * Runs one member call and keeps a thrown error (or a detection that breaks the contract) as data;
 * `AbortedError`, and any error after the signal aborted, propagate.
 *
 * @param detector - the member
 * @param call - produces its detection (a `detect()` or a stream `push()`)
 * @param signal - the caller's signal
 * @param what - the operation, for the `AbortedError` message
 * @internal
 */
export async function settleMember(
  detector: Detector,
  call: () => Promise<Detection>,
  signal: AbortSignal | undefined,
  what: string,
): Promise<MemberOutcome> {
  const started = nowMs();
  try {
    return checkDetection(detector, await call());
  } catch (err) {
    return failure(detector, err, started, signal, what);
  }
}

/**
 * {@link settleMember} for a member stream's synchronous push (`pushNow`, which answers at once or throws),
 * without a closure or a promise per call (a stream pushes to every member at every message).
 *
 * @param detector - the member
 * @param stream - its stream, able to push now
 * @param message - the pushed message
 * @param opts - the push's options (its `signal`)
 * @param what - the operation, for the `AbortedError` message
 * @internal
 */
export function pushMemberNow(
  detector: Detector,
  stream: { pushNow(message: Message, opts: DetectOptions): Detection },
  message: Message,
  opts: DetectOptions,
  what: string,
): MemberOutcome {
  const started = nowMs();
  try {
    return checkDetection(detector, stream.pushNow(message, opts));
  } catch (err) {
    return failure(detector, err, started, opts.signal, what);
  }
}

/**
 * Runs one member on many transcripts: through its `detectBatch` when it has one (falling back to one
 * `detect` per transcript when the batch call throws, so one bad transcript does not fail the others), else
 * one `detect` at a time. Errors are kept as data; `AbortedError` propagates. A batch that breaks the contract
 * (not one result per transcript, or a result that is not a valid detection) is not re-run: the transcripts it
 * answered wrongly get a `BAD_DETECTION` failure naming the member, as a broken `detect()` result does.
 *
 * @param detector - the member
 * @param ts - validated transcripts
 * @param signal - the caller's signal
 * @param what - the operation, for the `AbortedError` message
 * @returns one outcome per transcript, in order
 */
export async function runMemberBatch(
  detector: Detector,
  ts: readonly ValidTranscript[],
  signal: AbortSignal | undefined,
  what: string,
): Promise<MemberOutcome[]> {
  if (ts.length === 0) return [];
  if (detector.detectBatch && ts.length > 1) {
    const started = nowMs();
    let answered: { out: unknown } | undefined;
    try {
      answered = { out: await detector.detectBatch([...ts], signal ? { signal } : {}) };
    } catch (err) {
      // Cancellation propagates; any other batch failure is retried one transcript at a time below.
      failure(detector, err, started, signal, what);
    }
    if (answered) return batchOutcomes(detector, answered.out, ts.length, started, signal, what);
  }
  const out: MemberOutcome[] = [];
  for (const t of ts) {
    AbortedError.throwIfAborted(signal, what);
    out.push(await runMember(detector, t, signal, what));
  }
  return out;
}

/** The outcomes of a member's `detectBatch()` answer: each result checked, a contract break kept as data. */
function batchOutcomes(
  detector: Detector,
  out: unknown,
  count: number,
  started: number,
  signal: AbortSignal | undefined,
  what: string,
): MemberOutcome[] {
  const problem = batchCountProblem(out, count);
  if (problem !== undefined) {
    const f = failure(detector, badDetection(detector, problem, 'detectBatch()'), started, signal, what);
    return Array.from({ length: count }, () => f);
  }
  return (out as unknown[]).map((d: unknown) => {
    try {
      return checkDetection(detector, d, 'detectBatch()');
    } catch (err) {
      return failure(detector, err, started, signal, what);
    }
  });
}
