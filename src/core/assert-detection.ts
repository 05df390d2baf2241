import { BotlensError } from '../errors/botlens-error.js';
import { describeValue } from './describe-value.js';
import { detectionProblem } from './detection-problem.js';
import type { Detection } from './detector.js';

/**
 * Checks that a value returned as a {@link Detection} keeps the contract (a `score` in [0, 1] or `null`, a
 * matching `label`, an `evidence` array, a finite `elapsedMs`, and, when `detectorName` is given, a `detector`
 * field equal to it), and throws when it does not. botlens applies this one check wherever it consumes what a
 * detector it does not own returned: an ensemble's members, the service (`createServer`), `detectTimeline`,
 * `openStream`, and corpus scoring; plug-in authors can call it in their own tests.
 *
 * @param value - what the detector's `detect()`, `detectBatch()` entry or stream `push()` returned
 * @param detectorName - the detector's `name`: the detection's `detector` field must equal it (leave it out to
 *   skip that check)
 * @throws BotlensError with code `BAD_DETECTION` naming the detector and what is wrong with the value
 * @example
 * ```ts
 * import { assertDetection } from 'botlens';
 * const d = await myDetector.detect(transcript);
 * assertDetection(d, myDetector.name); // throws BAD_DETECTION for a score of 1.7, a missing label, ...
 * ```
 */
export function assertDetection(value: unknown, detectorName?: string): asserts value is Detection {
  const problem = detectionProblemFor(value, detectorName);
  if (problem === undefined) return;
  const who = detectorName === undefined ? 'A detector' : `The detector "${detectorName}"`;
  throw new BotlensError(
    'BAD_DETECTION',
    `${who} returned a detection that breaks the Detection contract: ${problem}. Fix its detect() (or detectBatch(), or its stream's push()).`,
  );
}

/**
 * {@link detectionProblem}, plus a `detector` field that names someone other than `detectorName` (when given).
 *
 * @param value - the returned value
 * @param detectorName - the name the detection must carry, if any
 * @internal
 */
export function detectionProblemFor(value: unknown, detectorName?: string): string | undefined {
  const problem = detectionProblem(value);
  if (problem !== undefined || detectorName === undefined) return problem;
  const named = (value as { detector: string }).detector;
  if (named === detectorName) return undefined;
  return `its detector is ${describeValue(named)}: a detection must carry its own detector's name ("${detectorName}")`;
}

/**
 * {@link assertDetection} returning the value, for use in an expression (`return checked(await d.detect(t), d.name)`).
 *
 * @param value - the returned value
 * @param detectorName - the detector's name
 * @internal
 */
export function checkedDetection(value: unknown, detectorName?: string): Detection {
  assertDetection(value, detectorName);
  return value;
}

/**
 * What is wrong with a `detectBatch()` answer's shape, or `undefined` when it is an array of one result per
 * transcript (each result is checked on its own, with {@link assertDetection}): the one check of the ensemble's
 * members and the service.
 *
 * @param out - what `detectBatch()` returned
 * @param count - how many transcripts it was given
 * @internal
 */
export function batchCountProblem(out: unknown, count: number): string | undefined {
  if (Array.isArray(out) && out.length === count) return undefined;
  return `detectBatch() returned ${Array.isArray(out) ? `${out.length} results` : describeValue(out)} for ${count} transcripts (one detection per transcript, in order)`;
}
