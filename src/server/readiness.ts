import { checkedDetection } from '../core/assert-detection.js';
import type { Detector } from '../core/detector.js';
import type { Transcript } from '../core/transcript.js';
import { type MemberDeadline, memberDeadlineDetect } from '../ensemble/member-deadline.js';
import { ServiceStartError } from '../errors/service-start-error.js';
import { isPooled } from './worker-pool.js';

interface MemberOutcome {
  detector: string;
  error?: { message: string; code?: string };
}

/**
 * An optional ensemble member that failed the warm-up, or did not answer it within `timeoutMs`: the service is
 * ready without it, and still runs it on every request.
 */
export interface DegradedMember {
  /** The member's detector name, as listed in `server.optionalMembers`. */
  detector: string;
  /** Its error in full (server paths included: redact it before sending it to a client). */
  error: string;
  /**
   * True when it did not answer the warm-up within `timeoutMs` (a model still loading, or a slow member), false
   * when it failed. A member that answers later, in-process, is then taken off the degraded list (and the log
   * says so), or has its error put here (`timedOut` false) when it failed.
   */
  timedOut: boolean;
}

/** How the warm-up bounds the optional members. */
export interface WarmUpBound {
  /** Milliseconds an optional member may take (the service's `timeoutMs`). */
  timeoutMs: number;
  /** Told, for each optional member that missed the bound, its outcome once its warm-up settles (in-process only). */
  onLate?: MemberDeadline['onLate'];
}

/**
 * Runs the warm-up detection and checks that every required ensemble member produced an answer: a member that
 * failed (a model that cannot load) fails the warm-up unless it is listed in `optionalMembers`. Failures are
 * loud: the caller stops start-up (`botlens serve`) or keeps `/readyz` at 503 (library use).
 *
 * The optional members of an `Ensemble` (or a worker pool of one) get `bound.timeoutMs` from the warm-up's start:
 * one that has not answered by then is reported degraded (`timedOut`) and the warm-up goes on without waiting for
 * it; its work runs on and `bound.onLate` is told how it ends. Required members are waited for as long as they
 * take: the service is not ready without them.
 *
 * @returns the optional members that failed or timed out (the service runs degraded), empty when all ran
 * @throws ServiceStartError naming each failed required member and its reason
 */
export async function warmUp(
  detector: Detector,
  transcript: Transcript,
  optionalMembers: readonly string[],
  bound: WarmUpBound,
): Promise<DegradedMember[]> {
  let members: MemberOutcome[] | undefined;
  try {
    const bounded = optionalMembers.length > 0 ? memberDeadlineDetect(detector) : undefined;
    const deadline: MemberDeadline = {
      ms: bound.timeoutMs,
      members: optionalMembers,
      what: `timeoutMs, the service's time limit`,
      ...(bound.onLate !== undefined && { onLate: bound.onLate }),
    };
    const d = checkedDetection(
      await (bounded ? bounded(transcript, deadline) : detector.detect(transcript)),
      // A worker pool answers with its workers' detector's name, not its own: only the shape is checked then.
      isPooled(detector) ? undefined : detector.name,
    );
    members = (d as { members?: MemberOutcome[] }).members;
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ServiceStartError(`The detector "${detector.name}" failed its warm-up: ${why}`, { cause });
  }
  const failures = (members ?? []).filter((m) => m.error !== undefined);
  const failed = failures.filter((m) => !optionalMembers.includes(m.detector));
  if (failed.length === 0) {
    return failures.map((m) => ({
      detector: m.detector,
      error: m.error!.message,
      timedOut: m.error!.code === 'TIMEOUT',
    }));
  }
  const list = failed.map((m) => `"${m.detector}" (${withoutFinalStop(m.error!.message)})`).join('; ');
  const names = JSON.stringify(failed.map((m) => m.detector));
  throw new ServiceStartError(
    `Required detector${failed.length > 1 ? 's' : ''} failed to load: ${list}. Fix the model settings, or serve ` +
      `without ${failed.length > 1 ? 'them' : 'it'} by listing ${names} in "server.optionalMembers".`,
  );
}

/** An error message without its closing full stop, for a sentence that goes on after it (no `..`). */
function withoutFinalStop(message: string): string {
  return message.replace(/\.\s*$/, '');
}

/**
 * The start-up warning for an optional member that failed: the member, its full error and what to do.
 *
 * @param m - the member and its error
 */
export function degradedWarning(m: DegradedMember): string {
  if (m.timedOut) {
    return (
      `optional detector "${m.detector}" did not answer its warm-up in time (${withoutFinalStop(m.error)}), so the ` +
      `service is ready without waiting for it. It is not left out: every request still runs it, and a request it ` +
      `holds past timeoutMs is answered 503 TIMEOUT. /readyz lists it under "degraded" until its warm-up answers ` +
      `(the log then says so): make it faster, or raise timeoutMs.`
    );
  }
  return (
    `optional detector "${m.detector}" failed to load and is left out of every answer: ${withoutFinalStop(m.error)}. ` +
    `Fix its model settings and restart, or remove it from the ensemble (until then /readyz lists it under "degraded").`
  );
}

/**
 * The log line for an optional member that missed the warm-up's bound and answered since.
 *
 * @param detector - the member
 * @param afterMs - how long after the warm-up's start it answered
 */
export function lateAnswerNote(detector: string, afterMs: number): string {
  return `optional detector "${detector}" answered its warm-up ${Math.round(afterMs)} ms after it began: it is no longer degraded.`;
}
