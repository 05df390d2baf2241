import type { ClipEncoderOptions } from '../../runtime/clip-encoder.js';
import type { ScalarCalibration } from '../scalar-calibration.js';

/**
 * Options for {@link ClipConsistencyDetector}. The model fields choose the CLIP model (default
 * `Xenova/clip-vit-base-patch32`).
 */
export interface ClipConsistencyOptions extends ClipEncoderOptions {
  /**
   * The detector's name in results.
   * @defaultValue 'clip'
   */
  name?: string;
  /**
   * Inconsistency (1 - cosine of bio and avatar) above which the profile is flagged: the centre of the
   * unfitted score mapping, where the score is 0.5.
   * @defaultValue 0.4
   */
  maxInconsistency?: number;
  /**
   * Slope of the unfitted mapping `P(bot) = sigmoid(steepness * (inconsistency - maxInconsistency))`.
   * @defaultValue 10
   */
  steepness?: number;
  /**
   * Score at or above which the label is `bot`.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * L2 penalty of the mapping `fit()` learns.
   * @defaultValue 1
   */
  l2?: number;
}

/** A fitted mapping from inconsistency `x` to P(bot): `sigmoid(a * x + b)`. */
export type ClipCalibration = ScalarCalibration;
