import type { Detector } from '../core/detector.js';
import type { JsonlRecord } from '../data/read-transcripts.js';
import { ensemblePreset } from '../detectors/ensemble-presets.js';
import { Ensemble } from '../ensemble/ensemble.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { type DetectorFlags, ensembleSpecFromFlags, parseModelFlags } from './detector-flags.js';

/** The flag `--group-by <field>` (of `fit`, and of `eval` with `--fit`). */
export const GROUP_BY_FLAG = '--group-by <field>';

/** Its help line. */
export const GROUP_BY_HELP =
  'stacking/cascade: fit the combiner on folds that keep each value of this record field whole (e.g. source), so it learns which members hold up on a population they were not fitted on';

const NO_COMBINER =
  'learns no combiner from folds: use --strategy stacking or cascade with several detectors, or leave --group-by out';

/**
 * Checks `--group-by` against the other flags before any data is read or detector built: the field must be named,
 * and a new ensemble must learn a combiner (`--strategy stacking` or `cascade`) over several detectors. With a
 * fitted model file (`--model fitted.json`) the strategy is only known once it is loaded: {@link fitGrouped}
 * checks it then.
 *
 * @param flags - the detector flags
 * @param groupBy - the `--group-by` value, or `undefined` when not given
 * @returns a note to print on stderr before fitting, when there is one to give (see {@link presetFitNote})
 * @throws InvalidOptionsError naming `--group-by`
 */
export function checkGroupBy(flags: DetectorFlags, groupBy: string | undefined): string | undefined {
  if (groupBy === undefined) return presetFitNote(flags);
  if (groupBy.trim() === '') {
    throw new InvalidOptionsError(
      '--group-by',
      'name a record field (e.g. --group-by source), or leave it out',
    );
  }
  if (parseModelFlags(flags.model).fitted !== undefined) return undefined;
  const spec = ensembleSpecFromFlags(flags);
  if (spec.strategy === 'weighted-mean') {
    throw new InvalidOptionsError('--group-by', `--strategy weighted-mean ${NO_COMBINER}`);
  }
  const n = spec.detectors.length;
  if (n < 2) {
    throw new InvalidOptionsError(
      '--group-by',
      `--detectors ${flags.detectors} lists one detector, not an ensemble whose combiner weighs members: list several detectors, or leave --group-by out`,
    );
  }
  return undefined;
}

/**
 * A note for a fit of a `--preset` meant to be fitted grouped by population (`EnsemblePreset.groupedFit`) but
 * given no `--group-by`: the fit still runs (on stratified folds, as data from one population needs), and the note
 * says how to fit it as the preset was measured.
 *
 * @param flags - the detector flags (no `--group-by` given)
 * @returns the note (one line, for stderr), or `undefined` when there is nothing to say
 */
function presetFitNote(flags: DetectorFlags): string | undefined {
  if (flags.preset === undefined) return undefined;
  if (!ensemblePreset(flags.preset, '--preset').groupedFit) return undefined;
  return `botlens: --preset ${flags.preset} is meant to be fitted on folds grouped by population: when the training data mixes several (bot families, sources), give --group-by FIELD naming the record field that tells them apart (e.g. --group-by source); fitting on stratified folds.\n`;
}

/**
 * The record fields to keep when reading training data for `--group-by`: the field itself and `id` (named in
 * errors about a record), none without it.
 *
 * @param groupBy - the `--group-by` value, or `undefined`
 */
export function groupByFields(groupBy: string | undefined): string[] {
  return groupBy === undefined ? [] : [...new Set([groupBy, 'id'])];
}

/** "record 3 of --data (id "x")": a training record, for errors. */
function recordName(r: JsonlRecord, i: number, option: string): string {
  const id = r.fields?.['id'];
  return `record ${i + 1} of ${option}${typeof id === 'string' || typeof id === 'number' ? ` (id ${JSON.stringify(id)})` : ''}`;
}

/**
 * Fits `detector` on `train`, with the out-of-fold folds grouped by the record field `groupBy` when given (the
 * ensemble's `fit(examples, { groups })`). The CLI's one way to fit, so `fit` and `eval --fit` treat
 * `--group-by` alike. A field value must be a non-empty string, a number or a boolean (its text is the group).
 *
 * @param detector - the detector built from the flags
 * @param train - the training records, read with {@link groupByFields} among their kept fields
 * @param groupBy - the record field (`--group-by`), or `undefined` for stratified folds
 * @param option - the flag that gave the training data, for error messages
 * @throws InvalidOptionsError naming `--group-by` when the detector learns no combiner, or a record lacks the
 *   field or holds an object, array or null in it; naming `--fit`/`--data` when the detector cannot be fitted
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
    throw new InvalidOptionsError('--group-by', `${detector.name} ${NO_COMBINER}`);
  }
  const groups = train.map((r, i) => {
    const g = recordGroup(r, i, groupBy, option, '--group-by');
    if (g === undefined) {
      throw new InvalidOptionsError(
        '--group-by',
        `${recordName(r, i, option)} has no "${groupBy}" field: give every training record one, or leave --group-by out`,
      );
    }
    return g;
  });
  await detector.fit([...train], { groups });
}

/**
 * The group of record `r` by its field `field` (`--group-by`, `--by`): the text of a string, number or boolean;
 * `undefined` when the record has no such field or an empty string in it. The CLI's one reading of a group field.
 *
 * @param r - the record, read with `field` among its kept fields
 * @param i - its index, for error messages
 * @param field - the record field
 * @param option - the flag that gave the records (`--fit`, `--data`), for error messages
 * @param flag - the flag that named the field, for error messages
 * @throws InvalidOptionsError naming `flag` when the field holds null, an array or an object
 */
export function recordGroup(
  r: JsonlRecord,
  i: number,
  field: string,
  option: string,
  flag: string,
): string | undefined {
  const v = r.fields?.[field];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
    throw new InvalidOptionsError(
      flag,
      `${recordName(r, i, option)} has ${v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object'} in "${field}": a group is a string, number or boolean`,
    );
  }
  return String(v);
}

/**
 * The groups of `rows` by their field `field` for `eval --by`: a record without the field (or with null in it) is left out of the
 * breakdown (counted), and a field no record has is refused (a misspelt name would otherwise give an empty
 * breakdown and exit 0).
 *
 * @param rows - the records, read with `field` among their kept fields
 * @param field - the record field (`--by`)
 * @param option - the flag that gave the records (`--data`)
 * @returns each record's group (`undefined` for those without the field) and how many have none
 * @throws InvalidOptionsError naming `--by` when no record has the field, or one holds an array or an object
 */
export function breakdownGroups(
  rows: readonly JsonlRecord[],
  field: string,
  option: string,
): { groups: (string | undefined)[]; missing: number } {
  // null counts as no value here (as it did before --by shared the reading of --group-by).
  const groups = rows.map((r, i) =>
    r.fields?.[field] === null ? undefined : recordGroup(r, i, field, option, '--by'),
  );
  const missing = groups.filter((g) => g === undefined).length;
  if (rows.length > 0 && missing === rows.length) {
    throw new InvalidOptionsError(
      '--by',
      `no record of ${option} has a "${field}" field (or every one is empty): check the field's name, or leave --by out`,
    );
  }
  return { groups, missing };
}
