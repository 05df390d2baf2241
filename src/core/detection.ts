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
 * What a detection's evidence will say, known before the evidence is written (see {@link withEvidenceOnRead}),
 * for readers that need one value and would otherwise make the whole evidence be written.
 *
 * @internal
 */
export interface EvidenceFacts {
  /**
   * The mean `similarity` of the entries of the `nearest_examples` evidence (those that are finite numbers), or
   * `null` when it has none; `undefined`: not stated.
   */
  nearestSimilarity?: number | null;
}

const factsOf = new WeakMap<Detection, EvidenceFacts>();
const NO_NEIGHBOURS: EvidenceFacts = Object.freeze({ nearestSimilarity: null });

/**
 * The {@link EvidenceFacts} stated for `d` when it was made by {@link withEvidenceOnRead} (and its evidence was
 * not replaced since), else `undefined`.
 *
 * @internal
 */
export function evidenceFacts(d: Detection): EvidenceFacts | undefined {
  return factsOf.get(d);
}

/**
 * `d` with its `evidence` written on first read: an own, enumerable accessor (assignable too), so JSON,
 * spreads and structured clones see it like any other property. For detectors that score after every pushed
 * message, where most callers read only the score and writing the sentences would cost more than the rest.
 *
 * @param d - the detection (its `evidence` is replaced)
 * @param build - writes the evidence, once, when it is first read
 * @param facts - what the evidence will say, for readers that need only that ({@link evidenceFacts}); a
 *   builder that writes a `nearest_examples` entry must state its `nearestSimilarity`
 *   @defaultValue `{ nearestSimilarity: null }` (the evidence lists no nearest examples)
 * @internal
 */
export function withEvidenceOnRead(
  d: Detection,
  build: () => Evidence[],
  facts: EvidenceFacts = NO_NEIGHBOURS,
): Detection {
  let evidence: Evidence[] | undefined;
  const out: Detection = {
    detector: d.detector,
    score: d.score,
    label: d.label,
    get evidence(): Evidence[] {
      evidence ??= build();
      return evidence;
    },
    set evidence(v: Evidence[]) {
      evidence = v;
      factsOf.delete(out);
    },
    elapsedMs: d.elapsedMs,
    ...(d.support !== undefined && { support: d.support }),
  };
  factsOf.set(out, facts);
  return out;
}
