import { stampedFeatures, stampFeatures } from './detection.js';
import type { Detection } from './detector.js';

/**
 * Named numbers a detection offers a learned combiner beside its score: the parts its score is made of (the
 * heuristic detector's per-signal log-odds terms, for example). A stacking ensemble that learns on them
 * (`EnsembleOptions.memberFeatures`) can re-weigh those parts where the member's own weighting is off, for
 * instance after a single message, where the member was fitted on whole conversations.
 *
 * They ride on the detection as a hidden fact, in the same private-field stamp as lazily written evidence (see
 * `withEvidenceOnRead` and `scoredWithEvidenceOnRead` in detection.ts): invisible to JSON, spreads,
 * `Object.keys` and equality checks, so a detection's public shape and its serialized bytes do not change.
 *
 * @internal
 */
export interface DetectionFeatures {
  /**
   * The feature names, in the order of `values`. A detector gives the same array object on every detection, so a
   * reader can match them by identity before it falls back to comparing names.
   */
  readonly names: readonly string[];
  /** The values, aligned with `names` (finite numbers). */
  readonly values: ArrayLike<number>;
}

/**
 * Stamps `d` with named features for a learned combiner ({@link DetectionFeatures}) and returns it. Stamp a
 * detection once, right where it is made (a second stamp on the same object throws).
 *
 * @param d - the detection (changed in place; its enumerable properties are not touched)
 * @param names - the feature names; pass the same array on every call
 * @param values - aligned with `names`
 * @returns `d`
 *
 * @example
 * ```ts
 * return withDetectionFeatures(detection, SIGNAL_NAMES, contributions);
 * ```
 * @internal
 */
export function withDetectionFeatures<D extends Detection>(
  d: D,
  names: readonly string[],
  values: ArrayLike<number>,
): D {
  stampFeatures(d, names, values);
  return d;
}

/**
 * The features stamped on `d` by {@link withDetectionFeatures}, or `undefined` when it has none (a detector
 * that offers none, an abstention, or a copy of a detection: a spread copy does not carry them).
 *
 * @param d - a detection
 * @internal
 */
export function detectionFeatures(d: object): DetectionFeatures | undefined {
  return stampedFeatures(d);
}
