import type { ValidationLimits } from '../../core/validate.js';
import type { StyleFeatureOptions } from './style-feature-types.js';

/**
 * Most synthetic human–human pairs per human example (`humanPairs`): beyond, the fit only grows.
 *
 * @internal
 */
export const MAX_HUMAN_PAIRS = 10;

/** Options for `PartnerContrastDetector`. */
export interface PartnerContrastDetectorOptions extends StyleFeatureOptions {
  /**
   * The detector's name in results and ensembles.
   * @defaultValue 'partner-contrast'
   */
  name?: string;
  /**
   * Score at or above which the label is `bot`.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * L2 penalty used by `fit()` on the standardized contrast signals (larger = weights closer to 0).
   * @defaultValue 1
   */
  l2?: number;
  /**
   * Synthetic human–human conversations `fit()` adds, per human example: each is two human targets from
   * different examples, the first's style minus the second's, labelled human.
   * For fitting data where humans only talk to bots, so that a human talking to a human does not look like a
   * bot. Train-only leave-one-source-out on the ConvAI data, this detector alone, fitted on ConvAI2 and judging
   * ConvAI 2017 (where half the human rows talk to a human): 0.5 takes F1 0.573 → 0.792 and ECE 0.302 → 0.067
   * (AUROC 0.947 → 0.940); the reverse direction, whose fitting data has human–human chats, loses a little
   * (F1 0.776 → 0.759, AUROC 0.946 → 0.935), and so does in-domain F1 (train CV 0.952 → 0.919). Inside a
   * stacking ensemble it changes little (the combiner recalibrates the member on in-domain folds). Measured before
   * words per message and question rate were compared as log ratios. See docs/evaluation.md. At most 10.
   * @defaultValue 0
   */
  humanPairs?: number;
  /**
   * Whether `fit()` weighs the fitted examples so that bots and humans count the same in total (a synthetic
   * human–human row weighs what a human example does), so the threshold does not carry the fitting data's bot
   * share to another population. Train-only leave-one-source-out on the ConvAI data, this detector alone with
   * `humanPairs: 0.5`: ConvAI2 → 2017 F1 / AUROC 0.792 / 0.940 → 0.784 / 0.941, 2017 → ConvAI2 (20% bots in the
   * fitting data) 0.759 / 0.935 → 0.797 / 0.932 (before the log ratios; with them 0.777 / 0.951 and 0.812 / 0.954);
   * see docs/evaluation.md.
   * @defaultValue false
   */
  balanceClasses?: boolean;
  /**
   * Limits for the transcripts it reads: raise `maxMessages` for long chats. Not part of the saved state.
   * @defaultValue DEFAULT_LIMITS (1 to 200 messages)
   */
  limits?: ValidationLimits;
}
