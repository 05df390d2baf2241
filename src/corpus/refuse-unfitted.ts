import { describeUnfitted, unfittedPartsOnLoad } from '../detectors/needs-fit.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { howToFit } from '../flags/fit-command.js';
import type { ScoringDetector } from './types.js';

/** The scoring detectors whose check has run already (`markUnfittedChecked`): the CLI's, checked as it built them. */
const CHECKED = new WeakSet<object>();

/**
 * Marks `detector` as checked already (by `refuseUnfittedSpec`, as the CLI built it), so that the corpus scorers do
 * not load its models a second time to check it again. Only the CLI marks; a caller of the library is always checked.
 *
 * @param detector - what the corpus is to be scored with, as the CLI built it after its check
 * @returns `detector`
 * @internal
 */
export function markUnfittedChecked<T extends ScoringDetector>(detector: T): T {
  CHECKED.add(detector);
  return detector;
}

/**
 * Refuses, before any of the corpus is read, a `{ ensemble }` detector that cannot score until it is fitted (the
 * rule of `unfittedParts`, which the CLI and the service apply too: a `stacking` strategy, or a member whose type
 * needs a fit, such as `embedding` or `partner-contrast`, or a `lora` member whose `model` has no classification
 * head, which `unfittedPartsOnLoad` loads it to tell). Scoring it would fail on every record, or score without
 * the unfitted members. A saved detector (`{ state }`, `{ file }`), or one the CLI checked already
 * ({@link markUnfittedChecked}), is never refused.
 *
 * @param detector - what the corpus is to be scored with
 * @returns the release of the models the check loaded: call it once the detector that scores in this thread has
 *   loaded (it then shares their load), or at once where the scoring runs elsewhere (worker threads, a queue)
 * @throws InvalidOptionsError naming `detector.ensemble`, saying how to fit it and to pass the fitted file
 * @internal
 */
export async function refuseUnfittedScoringDetector(detector: ScoringDetector): Promise<() => Promise<void>> {
  const none = async (): Promise<void> => undefined;
  if (typeof detector !== 'object' || detector === null || !('ensemble' in detector) || CHECKED.has(detector))
    return none;
  const { parts, release } = await unfittedPartsOnLoad(detector.ensemble);
  if (parts.length === 0) return release;
  await release();
  throw new InvalidOptionsError(
    'detector.ensemble',
    `the ensemble cannot score until it is fitted on labelled data (${describeUnfitted(parts)}): fit it first (${howToFit(detector.ensemble)}) and pass { file: 'fitted.json' } as the detector`,
  );
}
