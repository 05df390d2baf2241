import type { Detection, Evidence } from './detector.js';
import type { Label } from './transcript.js';

/** High-resolution wall clock in milliseconds. */
export function nowMs(): number {
  return performance.now();
}

/**
 * Builds a {@link Detection} from a score, labelling it against `threshold`.
 *
 * @param detector - the detector's name
 * @param score - P(bot) in [0, 1]
 * @param threshold - score at or above which the label is `bot`
 * @param evidence - the signals behind the score
 * @param startedMs - `nowMs()` when the work started
 */
export function scored(
  detector: string,
  score: number,
  threshold: number,
  evidence: Evidence[],
  startedMs: number,
): Detection {
  const s = Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0.5;
  const label: Label = s >= threshold ? 'bot' : 'human';
  return { detector, score: s, label, evidence, elapsedMs: nowMs() - startedMs };
}

/**
 * Builds an abstaining {@link Detection} (`score: null`) with one evidence entry saying why.
 *
 * @param detector - the detector's name
 * @param reason - a sentence saying which input was missing
 * @param startedMs - `nowMs()` when the work started
 */
export function abstained(detector: string, reason: string, startedMs: number): Detection {
  return {
    detector,
    score: null,
    label: null,
    evidence: [{ name: 'abstained', value: null, sentence: reason }],
    elapsedMs: nowMs() - startedMs,
  };
}

/**
 * `d` with its `evidence` written on first read: an own, enumerable accessor (assignable too), so JSON,
 * spreads and structured clones see it like any other property. For detectors that score after every pushed
 * message, where most callers read only the score and writing the sentences would cost more than the rest.
 *
 * @param d - the detection (its `evidence` is replaced)
 * @param build - writes the evidence, once, when it is first read
 * @internal
 */
export function withEvidenceOnRead(d: Detection, build: () => Evidence[]): Detection {
  let evidence: Evidence[] | undefined;
  return {
    detector: d.detector,
    score: d.score,
    label: d.label,
    get evidence(): Evidence[] {
      evidence ??= build();
      return evidence;
    },
    set evidence(v: Evidence[]) {
      evidence = v;
    },
    elapsedMs: d.elapsedMs,
    ...(d.support !== undefined && { support: d.support }),
  };
}
