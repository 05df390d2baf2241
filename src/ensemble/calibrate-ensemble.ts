import type { Label } from '../core/transcript.js';
import { BotlensError } from '../errors/botlens-error.js';
import { type CalibrateOptions, calibrateThreshold, type ThresholdCalibration } from './calibrate.js';
import type { EnsembleResult } from './types.js';

/** Options for `Ensemble.calibrate`. */
export interface EnsembleCalibrateOptions extends CalibrateOptions {
  /** Cancels the scoring; the promise then rejects with `AbortedError`. */
  signal?: AbortSignal;
}

/** What `Ensemble.calibrate` chose and achieved. */
export interface EnsembleCalibration extends ThresholdCalibration {
  /** Calibration examples left out because the ensemble abstained on them. */
  abstained: number;
}

/** The rates a set of results achieves at a threshold, abstentions left out and counted. */
function ratesAt(
  results: readonly EnsembleResult[],
  labels: readonly Label[],
  threshold: number,
  target: number,
) {
  let fp = 0;
  let tp = 0;
  let neg = 0;
  let pos = 0;
  results.forEach((r, i) => {
    if (r.score === null) return;
    const bot = labels[i] === 'bot';
    if (bot) pos++;
    else neg++;
    if (r.score >= threshold) bot ? tp++ : fp++;
  });
  const fpr = neg > 0 ? fp / neg : 0;
  return {
    fpr,
    tpr: pos > 0 ? tp / pos : 0,
    negatives: neg,
    positives: pos,
    abstained: results.length - neg - pos,
    met: fpr <= target + 1e-12,
  };
}

/**
 * Chooses an ensemble's threshold for a target FPR from results with every stage run; a staged strategy (one
 * that stops early relative to the threshold) is then re-run at the chosen threshold and judged on what it
 * really achieves.
 *
 * @param name - the ensemble's name, for the error
 * @param labels - the calibration labels
 * @param full - results with every member run
 * @param rerunAt - re-runs with early stopping at a threshold, or `undefined` when the strategy never stops early
 * @param fpr - the target false-positive rate
 * @throws BotlensError `CALIBRATION_UNMET` when no threshold meets the target
 * @internal
 */
export async function chooseEnsembleThreshold(
  name: string,
  labels: readonly Label[],
  full: readonly EnsembleResult[],
  rerunAt: ((threshold: number) => Promise<EnsembleResult[]>) | undefined,
  fpr: number,
): Promise<EnsembleCalibration> {
  const kept = full.flatMap((r, i) => (r.score === null ? [] : [{ score: r.score, label: labels[i]! }]));
  const c = calibrateThreshold(
    kept.map((x) => x.score),
    kept.map((x) => x.label),
    { fpr },
  );
  let result: EnsembleCalibration = { ...c, abstained: full.length - kept.length };
  if (rerunAt && c.met) {
    result = { ...result, ...ratesAt(await rerunAt(c.threshold), labels, c.threshold, fpr) };
  }
  if (!result.met) {
    throw new BotlensError(
      'CALIBRATION_UNMET',
      `Ensemble "${name}" cannot reach FPR <= ${fpr} on these examples (best: ${result.fpr.toFixed(4)} at threshold ${result.threshold}): ` +
        (rerunAt
          ? 'the cascade stops early on humans a later member would clear; raise margin or allow a higher fpr.'
          : 'too many humans score 1; allow a higher fpr or improve the members.'),
    );
  }
  return result;
}
