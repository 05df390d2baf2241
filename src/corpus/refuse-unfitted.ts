import { describeUnfitted, unfittedPartsOnLoad } from '../detectors/needs-fit.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { howToFit } from '../flags/fit-command.js';
import type { ScoringDetector } from './types.js';

/**
 * Internal settings of a corpus scorer call ({@link refuseUnfittedScoringDetector}, `scoreCorpusWith`,
 * `scoreCorpusOnQueueWith`), which only the CLI gives: a library caller is always checked.
 *
 * @internal
 */
export interface UnfittedCheckSetting {
  /**
   * The detector was checked already (the CLI's `refuseUnfittedSpec`, as it built it): its models are not loaded a
   * second time to check it again.
   */
  unfittedChecked: boolean;
}

/**
 * Refuses, before any of the corpus is read, a `{ ensemble }` detector that cannot score until it is fitted (the
 * rule of `unfittedParts`, which the CLI and the service apply too: a `stacking` strategy, or a member whose type
 * needs a fit, such as `embedding` or `partner-contrast`, or a `lora` member whose `model` has no classification
 * head, which `unfittedPartsOnLoad` loads it to tell). Scoring it would fail on every record, or score without
 * the unfitted members. A saved detector (`{ state }`, `{ file }`), or one checked already
 * (`unfittedChecked`: the CLI's, checked as it built it), is never refused.
 *
 * @param detector - what the corpus is to be scored with
 * @param setting - whether it was checked already
 * @returns the release of the models the check loaded: call it once the detector that scores in this thread has
 *   loaded (it then shares their load), or at once where the scoring runs elsewhere (worker threads, a queue)
 * @throws InvalidOptionsError naming `detector.ensemble`, saying how to fit it and to pass the fitted file
 * @internal
 */
export async function refuseUnfittedScoringDetector(
  detector: ScoringDetector,
  setting: UnfittedCheckSetting,
): Promise<() => Promise<void>> {
  const none = async (): Promise<void> => undefined;
  if (
    setting.unfittedChecked ||
    typeof detector !== 'object' ||
    detector === null ||
    !('ensemble' in detector)
  )
    return none;
  const { parts, release } = await unfittedPartsOnLoad(detector.ensemble);
  if (parts.length === 0) return release;
  await release();
  throw new InvalidOptionsError(
    'detector.ensemble',
    `the ensemble cannot score until it is fitted on labelled data (${describeUnfitted(parts)}): fit it first (${howToFit(detector.ensemble)}) and pass { file: 'fitted.json' } as the detector`,
  );
}
