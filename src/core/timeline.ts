import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { assertDetection } from './assert-detection.js';
import { describeValue } from './describe-value.js';
import type { Detection, DetectOptions, Detector } from './detector.js';
import { type OptionKeys, refuseUnknownKeys } from './refuse-unknown-keys.js';
import { finishStream, openStream } from './stream.js';
import type { Label, Transcript } from './transcript.js';
import {
  DEFAULT_LIMITS,
  limitsValidatedUnder,
  type ValidationLimits,
  validateTranscript,
} from './validate.js';

/** The verdict after one of the target's messages, as `detectTimeline` reports it. */
export interface TimelinePoint {
  /**
   * Index of the target's message in the original transcript (0-based): its index in `transcript.messages`
   * plus {@link TimelineOptions.messageOffset} (the messages cut from the front of a truncated transcript).
   */
  messageIndex: number;
  /** How many of the target's messages the verdict rests on (1 after the first). */
  targetMessages: number;
  /** P(bot) over the messages up to and including this one, or `null` when the detector abstains. */
  score: number | null;
  /** The label at that point, or `null` when abstaining. */
  label: Label | null;
  /**
   * For an ensemble: the members that failed at this point, so a point never rests silently on fewer members
   * than asked for (a member that failed is replayed from the messages so far at the next point, and is
   * named again as long as it fails). Absent when every member ran.
   */
  failedMembers?: string[];
}

/** Options for {@link detectTimeline}. */
export interface TimelineOptions extends DetectOptions {
  /**
   * Limits the transcript is validated against (raise `maxMessages` for long chats; the detector applies its
   * own limits too).
   * @defaultValue DEFAULT_LIMITS
   */
  limits?: ValidationLimits;
  /**
   * Added to every point's `messageIndex`: how many messages were cut from the front of the transcript before
   * this call (a chat truncated to its last `maxMessages` messages, as `--truncate` and the service's `truncate`
   * do; they pass it), so indexes refer to the original chat.
   * @defaultValue 0
   */
  messageOffset?: number;
}

const TIMELINE_OPTION_KEYS: OptionKeys<TimelineOptions> = { signal: true, limits: true, messageOffset: true };

/**
 * Scores a transcript as it grew: the verdict after each of the target speaker's messages, computed by
 * streaming the messages one at a time through {@link openStream}. The last point equals `detect()` on the
 * whole transcript when the transcript ends with a target message. Messages before the target's first one
 * produce no point. Detectors with their own `stream()` (the heuristic, the embedding detector, ensembles of
 * them) update incrementally, so each message costs the same whatever came before; others recompute over the
 * messages so far at each one (O(n²) in all).
 *
 * @param detector - the detector (or ensemble) to run
 * @param transcript - the whole transcript
 * @param opts - an abort `signal` (checked at every message) and validation limits
 * @throws InvalidTranscriptError on bad input; InvalidOptionsError for a bad `messageOffset`; AbortedError when
 *   `signal` is aborted
 * @example
 * ```ts
 * const points = await detectTimeline(new HeuristicDetector(), transcript);
 * for (const p of points) console.log(p.targetMessages, p.score);
 * ```
 */
export async function detectTimeline(
  detector: Detector,
  transcript: Transcript,
  opts: TimelineOptions = {},
): Promise<TimelinePoint[]> {
  refuseUnknownKeys(opts, TIMELINE_OPTION_KEYS, 'the options of detectTimeline()');
  const t = validateTranscript(transcript, opts.limits);
  const offset = opts.messageOffset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) {
    throw new InvalidOptionsError(
      'messageOffset',
      `expected a non-negative integer, got ${describeValue(offset)}`,
    );
  }
  const detectOpts: DetectOptions = opts.signal !== undefined ? { signal: opts.signal } : {};
  // The stream checks each message under the limits the whole transcript passed: `opts.limits`, or the raised
  // ones a transcript validated before this call passed (detect() accepts such a transcript as it is). Under
  // the defaults the stream keeps the detector's own limits, as detect() applies them.
  const had = limitsValidatedUnder(t);
  const limits = opts.limits ?? (had === DEFAULT_LIMITS ? undefined : had);
  const stream = openStream(detector, {
    target: t.target,
    ...(t.profile !== undefined && { profile: t.profile }),
    ...(limits !== undefined && { limits }),
  });
  const points: TimelinePoint[] = [];
  let seen = 0;
  for (let i = 0; i < t.messages.length; i++) {
    const m = t.messages[i]!;
    let d = await stream.push(m, detectOpts);
    // The detector may be a user's: a point never carries a detection that breaks the contract.
    assertDetection(d, detector.name);
    if (m.speaker !== t.target) continue;
    seen++;
    // The last message: an ensemble's members that failed earlier and are backed off are tried once more, so
    // the last point is detect()'s whenever they can run now.
    if (i === t.messages.length - 1 && failedMemberNames(d).length > 0) {
      const finished = await finishStream(stream, detectOpts);
      if (finished !== undefined) {
        assertDetection(finished, detector.name);
        d = finished;
      }
    }
    const failedMembers = failedMemberNames(d);
    points.push({
      messageIndex: offset + i,
      targetMessages: seen,
      score: d.score,
      label: d.label,
      ...(failedMembers.length > 0 && { failedMembers }),
    });
  }
  return points;
}

/** The names of an ensemble detection's members that failed (kept as `{ detector, error }`). */
function failedMemberNames(d: Detection): string[] {
  const members = (d as Detection & { members?: readonly { detector: string; error?: unknown }[] }).members;
  if (!Array.isArray(members)) return [];
  return members.filter((m) => m.error !== undefined).map((m) => m.detector);
}
