import { nowMs } from '../core/detection.js';
import type { Detection, Detector } from '../core/detector.js';
import { sharedRegistryKey } from '../core/shared-across-copies.js';
import type { Transcript } from '../core/transcript.js';
import type { MemberFailure, MemberOutcome } from './types.js';

/**
 * A bound on the time of some members in one ensemble call: a bounded member that has not answered when it
 * passes is counted as failed (`DeadlineExceededError`, code `TIMEOUT`) and the call goes on without it; its work
 * runs on, tracked (the ensemble's `dispose()` waits for it) and observed. The service's warm-up bounds its
 * optional members with it. Not exported by the package, though the service's declarations name it.
 */
export interface MemberDeadline {
  /** Milliseconds from the start of the call. */
  ms: number;
  /** The members it bounds, by name (top level). */
  members: readonly string[];
  /** What the bound is, for the failure's message, e.g. `server.timeoutMs`. */
  what: string;
  /**
   * Told, for each bounded member that missed the deadline, what its work comes to: its outcome once it settles
   * (a rejection when the call was cancelled meanwhile).
   */
  onLate?: (member: string, outcome: Promise<MemberOutcome>) => void;
}

/** `detect()` on one transcript under a {@link MemberDeadline}. @internal */
export type DetectWithMemberDeadline = (t: Transcript, deadline: MemberDeadline) => Promise<Detection>;

/**
 * The key under which a detector offers {@link DetectWithMemberDeadline} (an `Ensemble`, the service's worker
 * pool), shared by the copies of one release of botlens. @internal
 */
export const DETECT_WITH_MEMBER_DEADLINE: symbol = sharedRegistryKey('detect-with-member-deadline');

/**
 * The detector's `detect()` under a member deadline when it offers one (an `Ensemble`, a worker pool), else
 * `undefined` (a detector without members). @internal
 *
 * @param d - the detector
 */
export function memberDeadlineDetect(d: Detector): DetectWithMemberDeadline | undefined {
  const f = (d as unknown as Record<symbol, unknown>)[DETECT_WITH_MEMBER_DEADLINE];
  return typeof f === 'function' ? (f as DetectWithMemberDeadline).bind(d) : undefined;
}

/**
 * One bounded member's outcomes for `count` transcripts: `work`'s, or, when the deadline (counted from `started`)
 * passes first, a `TIMEOUT` failure for each, with `deadline.onLate` told what `work` comes to.
 *
 * @param work - the member's outcomes, one per transcript
 * @param count - how many transcripts
 * @param member - the member's name
 * @param deadline - the bound
 * @param started - when the call started (`nowMs()`)
 * @internal
 */
export function withinMemberDeadline(
  work: Promise<MemberOutcome[]>,
  count: number,
  member: string,
  deadline: MemberDeadline,
  started: number,
): Promise<MemberOutcome[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        const late: MemberFailure = {
          detector: member,
          error: {
            name: 'DeadlineExceededError',
            code: 'TIMEOUT',
            message: `Member "${member}" did not answer within ${deadline.ms} ms (${deadline.what}).`,
          },
          elapsedMs: nowMs() - started,
        };
        resolve(Array.from({ length: count }, () => late));
        deadline.onLate?.(
          member,
          work.then((o) => o[0]!),
        );
      },
      Math.max(0, deadline.ms - (nowMs() - started)),
    );
    // A member that never answers must not keep the process alive for the bound.
    timer.unref?.();
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
