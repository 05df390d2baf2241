import type { Detector } from '../core/detector.js';
import type { JsonlRecord } from '../data/read-transcripts.js';
import { Ensemble } from '../ensemble/ensemble.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/** The flag `--group-by <field>` (of `fit`, and of `eval` with `--fit`). */
export const GROUP_BY_FLAG = '--group-by <field>';

/** Its help line. */
export const GROUP_BY_HELP =
  'stacking/cascade: fit the combiner on folds that keep each value of this record field whole (e.g. source), so it learns which members hold up on a population they were not fitted on';

/**
 * Fits `detector` on `train`, with the out-of-fold folds grouped by the record field `groupBy` when given (the
 * ensemble's `fit(examples, { groups })`). The CLI's one way to fit, so `fit` and `eval --fit` treat
 * `--group-by` alike.
 *
 * @param detector - the detector built from the flags
 * @param train - the training records, read with `groupBy` among their kept fields
 * @param groupBy - the record field (`--group-by`), or `undefined` for stratified folds
 * @param option - the flag that gave the training data, for error messages
 * @throws InvalidOptionsError naming `--group-by` when the detector learns no combiner, or a record lacks the
 *   field; naming `--fit`/`--data` when the detector cannot be fitted
 */
export async function fitGrouped(
  detector: Detector,
  train: readonly JsonlRecord[],
  groupBy: string | undefined,
  option: string,
): Promise<void> {
  if (!detector.fit) throw new InvalidOptionsError(option, `${detector.name} cannot be fitted`);
  if (groupBy === undefined) {
    await detector.fit([...train]);
    return;
  }
  if (!(detector instanceof Ensemble) || detector.strategy === 'weighted-mean') {
    throw new InvalidOptionsError(
      '--group-by',
      `${detector.name} learns no combiner from folds: use --strategy stacking or cascade with several detectors, or leave --group-by out`,
    );
  }
  const groups = train.map((r, i) => {
    const v = r.fields?.[groupBy];
    if (v === undefined || v === null || v === '') {
      throw new InvalidOptionsError(
        '--group-by',
        `record ${i + 1} of ${option} has no "${groupBy}" field: give every training record one, or leave --group-by out`,
      );
    }
    return String(v);
  });
  await detector.fit([...train], { groups });
}
