import type { Detector } from '../core/detector.js';
import type { Transcript } from '../core/transcript.js';
import { ServiceStartError } from '../errors/service-start-error.js';

interface MemberOutcome {
  detector: string;
  error?: { message: string };
}

/**
 * Runs the warm-up detection and checks that every required ensemble member produced an answer: a member that
 * failed (a model that cannot load) fails the warm-up unless it is listed in `optionalMembers`. Failures are
 * loud: the caller stops start-up (`botlens serve`) or keeps `/readyz` at 503 (library use).
 *
 * @throws ServiceStartError naming each failed member and its reason
 */
export async function warmUp(
  detector: Detector,
  transcript: Transcript,
  optionalMembers: readonly string[],
): Promise<void> {
  let members: MemberOutcome[] | undefined;
  try {
    const d = await detector.detect(transcript);
    members = (d as { members?: MemberOutcome[] }).members;
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ServiceStartError(`The detector "${detector.name}" failed its warm-up: ${why}`, { cause });
  }
  const failed = (members ?? []).filter(
    (m) => m.error !== undefined && !optionalMembers.includes(m.detector),
  );
  if (failed.length === 0) return;
  const list = failed.map((m) => `"${m.detector}" (${m.error!.message})`).join('; ');
  const names = JSON.stringify(failed.map((m) => m.detector));
  throw new ServiceStartError(
    `Required detector${failed.length > 1 ? 's' : ''} failed to load: ${list}. Fix the model settings, or serve ` +
      `without ${failed.length > 1 ? 'them' : 'it'} by listing ${names} in "server.optionalMembers".`,
  );
}
