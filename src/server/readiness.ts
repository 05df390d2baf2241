import { checkedDetection } from '../core/assert-detection.js';
import type { Detector } from '../core/detector.js';
import type { Transcript } from '../core/transcript.js';
import { ServiceStartError } from '../errors/service-start-error.js';
import { isPooled } from './worker-pool.js';

interface MemberOutcome {
  detector: string;
  error?: { message: string };
}

/** An optional ensemble member that failed the warm-up: the service answers without it. */
export interface DegradedMember {
  /** The member's detector name, as listed in `server.optionalMembers`. */
  detector: string;
  /** Its error in full (server paths included: redact it before sending it to a client). */
  error: string;
}

/**
 * Runs the warm-up detection and checks that every required ensemble member produced an answer: a member that
 * failed (a model that cannot load) fails the warm-up unless it is listed in `optionalMembers`. Failures are
 * loud: the caller stops start-up (`botlens serve`) or keeps `/readyz` at 503 (library use).
 *
 * @returns the optional members that failed (the service runs degraded without them), empty when all ran
 * @throws ServiceStartError naming each failed required member and its reason
 */
export async function warmUp(
  detector: Detector,
  transcript: Transcript,
  optionalMembers: readonly string[],
): Promise<DegradedMember[]> {
  let members: MemberOutcome[] | undefined;
  try {
    const d = checkedDetection(
      await detector.detect(transcript),
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
  if (failed.length === 0) return failures.map((m) => ({ detector: m.detector, error: m.error!.message }));
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
  return (
    `optional detector "${m.detector}" failed to load and is left out of every answer: ${withoutFinalStop(m.error)}. ` +
    `Fix its model settings and restart, or remove it from the ensemble (until then /readyz lists it under "degraded").`
  );
}
