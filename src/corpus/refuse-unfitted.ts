import { describeUnfitted, unfittedPartsOnLoad } from '../detectors/needs-fit.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { howToFit } from '../flags/fit-command.js';
import type { ScoringDetector } from './types.js';

/**
 * Refuses, before any of the corpus is read, a `{ ensemble }` detector that cannot score until it is fitted (the
 * rule of `unfittedParts`, which the CLI and the service apply too: a `stacking` strategy, or a member whose type
 * needs a fit, such as `embedding` or `partner-contrast`, or a `lora` member whose `model` has no classification
 * head, which `unfittedPartsOnLoad` loads it to tell). Scoring it would fail on every record, or score without
 * the unfitted members. A saved detector (`{ state }`, `{ file }`) is never refused.
 *
 * @param detector - what the corpus is to be scored with
 * @throws InvalidOptionsError naming `detector.ensemble`, saying how to fit it and to pass the fitted file
 * @internal
 */
export async function refuseUnfittedScoringDetector(detector: ScoringDetector): Promise<void> {
  if (typeof detector !== 'object' || detector === null || !('ensemble' in detector)) return;
  const parts = await unfittedPartsOnLoad(detector.ensemble);
  if (parts.length === 0) return;
  throw new InvalidOptionsError(
    'detector.ensemble',
    `the ensemble cannot score until it is fitted on labelled data (${describeUnfitted(parts)}): fit it first (${howToFit(detector.ensemble)}) and pass { file: 'fitted.json' } as the detector`,
  );
}
