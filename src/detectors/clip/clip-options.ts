import type { BatchPlanOptions } from '../../runtime/batching.js';
import type { ModelOptions } from '../../runtime/model-options.js';
import type { ScalarCalibration } from '../scalar-calibration.js';

/**
 * Options for {@link ClipConsistencyDetector}. The model fields choose the CLIP model (default
 * `Xenova/clip-vit-base-patch32`).
 */
export interface ClipConsistencyOptions extends ModelOptions, BatchPlanOptions {
  /**
   * Scale embeddings to unit length (so a dot product is a cosine). `false` keeps the raw projections.
   * @defaultValue true
   */
  normalize?: boolean;
  /**
   * Most tokens per bio; longer bios are cut at the end (special tokens kept). CLIP takes 77.
   * @defaultValue the model's limit (`text_config.max_position_embeddings`)
   */
  maxLength?: number;
  /**
   * How avatars are read. `http(s)` URLs are refused when the model is `offline`.
   * @defaultValue {}
   */
  imageOptions?: {
    /** Longest wait for an `http(s)` download, in milliseconds (default 10000). */
    timeoutMs?: number;
    /** Largest image accepted, in bytes (default 10 MiB); downloads are cut off beyond it. */
    maxBytes?: number;
    /** The fetch used for downloads (default the global `fetch`). */
    fetch?: typeof fetch;
  };
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
