import type { DetectOptions, Detector } from './detector.js';
import { openStream } from './stream.js';
import type { Label, Transcript } from './transcript.js';
import { validateTranscript } from './validate.js';

/** The verdict after one of the target's messages, as `detectTimeline` reports it. */
export interface TimelinePoint {
  /** Index of the target's message in `transcript.messages` (0-based). */
  messageIndex: number;
  /** How many of the target's messages the verdict rests on (1 after the first). */
  targetMessages: number;
  /** P(bot) over the messages up to and including this one, or `null` when the detector abstains. */
  score: number | null;
  /** The label at that point, or `null` when abstaining. */
  label: Label | null;
}

/**
 * Scores a transcript as it grew: the verdict after each of the target speaker's messages, computed by
 * streaming the messages one at a time through {@link openStream}. The last point equals `detect()` on the
 * whole transcript when the transcript ends with a target message.
 *
 * @param detector - the detector (or ensemble) to run
 * @param transcript - the whole transcript
 * @example
 * ```ts
 * const points = await detectTimeline(new HeuristicDetector(), transcript);
 * for (const p of points) console.log(p.targetMessages, p.score);
 * ```
 */
export async function detectTimeline(
  detector: Detector,
  transcript: Transcript,
  opts?: DetectOptions,
): Promise<TimelinePoint[]> {
  const t = validateTranscript(transcript);
  const stream = openStream(detector, {
    target: t.target,
    ...(t.profile !== undefined && { profile: t.profile }),
  });
  const points: TimelinePoint[] = [];
  let seen = 0;
  for (let i = 0; i < t.messages.length; i++) {
    const m = t.messages[i] as (typeof t.messages)[number];
    const d = await stream.push(
      { speaker: m.speaker, text: m.text, ...(m.timestamp !== undefined && { timestamp: m.timestamp }) },
      opts,
    );
    if (m.speaker !== t.target) continue;
    seen++;
    points.push({ messageIndex: i, targetMessages: seen, score: d.score, label: d.label });
  }
  return points;
}
