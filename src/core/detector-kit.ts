import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { describeValue } from './describe-value.js';
import { nowMs } from './detection.js';
import type { Detection, DetectOptions, DetectorState } from './detector.js';
import type { JsonObject } from './json.js';
import { refuseUnknownDetectOptions } from './method-options.js';
import { checkInRange, PROBABILITY } from './number-range.js';
import { validCopiesOf } from './training-marks.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from './transcript.js';
import { validateTranscript } from './validate.js';
import { validateLabelled } from './validate-examples.js';

/**
 * The detector's name option, checked: `name`, else (when not given) `fallback`.
 *
 * @param name - the option as given
 * @param fallback - the detector's default name
 * @throws InvalidOptionsError when the name is not a non-empty string (`null` included)
 *
 * @internal
 */
export function checkName(name: unknown, fallback: string): string {
  const n = name === undefined ? fallback : name;
  if (typeof n !== 'string' || n === '') {
    throw new InvalidOptionsError('name', `expected a non-empty string, got ${describeValue(n)}`);
  }
  return n;
}

/**
 * An optional option checked to be one of `choices` (`undefined` passes).
 *
 * @param key - the option's name, for the error
 * @param value - the option as given
 * @param choices - the values accepted
 * @throws InvalidOptionsError naming `key` and the choices
 *
 * @internal
 */
export function optionalChoice<C extends string>(
  key: string,
  value: unknown,
  choices: readonly C[],
): C | undefined {
  if (value === undefined || choices.includes(value as C)) return value as C | undefined;
  const list = choices.map((c) => JSON.stringify(c));
  throw new InvalidOptionsError(
    key,
    `got ${describeValue(value)}; use ${list.slice(0, -1).join(', ')} or ${list.at(-1)}`,
  );
}

/**
 * The `threshold` option checked to lie in [0, 1]; 0.5 when not given (`undefined`; `null` is refused).
 *
 * @param threshold - the option as given
 * @throws InvalidOptionsError naming `threshold`
 *
 * @internal
 */
export function checkThreshold(threshold: unknown): number {
  return checkInRange('threshold', threshold === undefined ? 0.5 : threshold, PROBABILITY);
}

/**
 * A boolean option: `fallback` when not given (`undefined`; `null` is refused), else true or false.
 *
 * @param key - the option's name, for the error
 * @param value - the option as given
 * @param fallback - the default
 * @throws InvalidOptionsError naming `key`: `got <value>; use true or false`
 *
 * @internal
 */
export function checkBoolean(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new InvalidOptionsError(key, `got ${describeValue(value)}; use true or false`);
  }
  return value;
}

/**
 * The `l2` option of a fitted detector (the L2 penalty of its logistic regression): a finite number >= 0, 1 when
 * not given (`undefined`; `null` is refused).
 *
 * @param value - the option as given
 * @throws InvalidOptionsError naming `l2`
 *
 * @internal
 */
export function checkL2(value: unknown): number {
  return nonNegativeNumber('l2', value === undefined ? 1 : value);
}

/**
 * The heuristic detector's `evidenceShrinkage` option: a finite number >= 0, 0 (off) when not given (`undefined`;
 * `null` is refused).
 *
 * @param value - the option as given
 * @throws InvalidOptionsError naming `evidenceShrinkage`
 *
 * @internal
 */
export function checkEvidenceShrinkage(value: unknown): number {
  return nonNegativeNumber('evidenceShrinkage', value === undefined ? 0 : value);
}

/**
 * A number option checked to be finite and at least 0.
 *
 * @param key - the option's name, for the error
 * @param value - the option (after its default)
 * @throws InvalidOptionsError naming `key`
 *
 * @internal
 */
export function nonNegativeNumber(key: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new InvalidOptionsError(key, `expected a non-negative number, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * The opening of `detect`: the start time, an abort check, then the validated transcript.
 *
 * @param name - the detector's name (for the abort message)
 * @param t - the transcript
 * @param opts - the call's options (`signal`), their keys checked
 * @throws InvalidOptionsError for an unknown key of `opts`; AbortedError when aborted; InvalidTranscriptError on
 *   bad input
 *
 * @internal
 */
export function beginDetect(
  name: string,
  t: Transcript,
  opts: DetectOptions,
): { started: number; v: ValidTranscript } {
  const started = nowMs();
  refuseUnknownDetectOptions(opts, 'detect', name);
  AbortedError.throwIfAborted(opts.signal, `${name} detect`);
  return { started, v: validateTranscript(t) };
}

function checkTranscriptArray(ts: unknown): void {
  if (!Array.isArray(ts)) throw new InvalidOptionsError('ts', 'expected an array of transcripts');
}

/**
 * The opening of a batched `detectBatch`: the start time, an array check, an abort check, then every
 * transcript validated.
 *
 * @param name - the detector's name (for the abort message)
 * @param ts - the transcripts
 * @param opts - the call's options (`signal`), their keys checked
 * @throws InvalidOptionsError when `ts` is not an array or `opts` has an unknown key; AbortedError when aborted; InvalidTranscriptError for
 *   the first bad transcript
 *
 * @internal
 */
export function beginDetectBatch(
  name: string,
  ts: Transcript[],
  opts: DetectOptions,
): { started: number; vs: ValidTranscript[] } {
  const started = nowMs();
  refuseUnknownDetectOptions(opts, 'detectBatch', name);
  checkTranscriptArray(ts);
  AbortedError.throwIfAborted(opts.signal, `${name} detect`);
  return { started, vs: ts.map((t) => validateTranscript(t)) };
}

/**
 * `detectBatch` for detectors that judge one transcript at a time: `detect` on each, in order.
 *
 * @param detector - the detector
 * @param ts - the transcripts
 * @param opts - passed to every `detect`, their keys checked
 * @throws InvalidOptionsError when `ts` is not an array or `opts` has an unknown key; whatever `detect` throws
 *
 * @internal
 */
export async function detectEach(
  detector: { name: string; detect(t: Transcript, opts?: DetectOptions): Promise<Detection> },
  ts: Transcript[],
  opts: DetectOptions,
): Promise<Detection[]> {
  refuseUnknownDetectOptions(opts, 'detectBatch', detector.name);
  checkTranscriptArray(ts);
  const out: Detection[] = [];
  for (const t of ts) out.push(await detector.detect(t, opts));
  return out;
}

/**
 * The opening of `fit`: an abort check, then the labelled examples validated (as `examples[i]`; an ensemble's
 * training set takes the valid copies its fit made, see `markValidCopies`).
 *
 * @param name - the detector's name (for the abort message)
 * @param examples - the labelled examples
 * @param opts - the call's options (`signal`), their keys checked
 * @throws AbortedError when aborted; InvalidOptionsError when `examples` is not an array or `opts` has an
 *   unknown key;
 *   InvalidTranscriptError for a bad example or label
 *
 * @internal
 */
export function beginFit(
  name: string,
  examples: readonly LabelledTranscript[],
  opts: DetectOptions,
): ValidTranscript[] {
  refuseUnknownDetectOptions(opts, 'fit', name);
  AbortedError.throwIfAborted(opts.signal, `${name} fit`);
  // An ensemble's training sets carry the valid copies its fit made (see markValidCopies).
  return validateLabelled(examples, 'examples', undefined, validCopiesOf(examples));
}

/**
 * What {@link checkState} expects of a saved state.
 *
 * @internal
 */
export interface StateFormat {
  /** The detector's `kind`. */
  kind: string;
  /** The state format version this code writes, the newest it reads. */
  version: number;
  /**
   * The oldest state format version this code still reads.
   * @defaultValue `version`
   */
  oldestVersion?: number;
  /** The class whose `toJSON()` made the state, e.g. `NliZeroShotDetector`. */
  owner: string;
  /** How errors name the detector, e.g. `NLI` in "this botlens reads NLI state version 1". */
  label: string;
}

/**
 * Checks the head of a saved detector state in `fromJSON`: an object of the right `kind` and `version`.
 *
 * @param state - the saved state
 * @param format - what is expected
 * @throws InvalidOptionsError naming `state`, `state.kind` or `state.version`
 *
 * @internal
 */
export function checkState(state: DetectorState, format: StateFormat): void {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new InvalidOptionsError('state', `expected the object returned by ${format.owner}.toJSON()`);
  }
  if (state.kind !== format.kind) {
    throw new InvalidOptionsError(
      'state.kind',
      `expected "${format.kind}", got ${describeValue(state.kind)}`,
    );
  }
  checkStateVersion(state.version, format);
}

/**
 * Checks a saved state's `version` is one this code reads: `format.version` or, when given, one from
 * `format.oldestVersion` up to it. A state of a version this code does not know (a newer botlens wrote it, or it
 * is damaged) is refused in the same words by `fromJSON` and the registry.
 *
 * @param version - the state's `version`
 * @param format - the newest version read, the oldest one still read, and how errors name the detector
 * @throws InvalidOptionsError naming `state.version`
 *
 * @internal
 */
export function checkStateVersion(
  version: unknown,
  format: Pick<StateFormat, 'version' | 'oldestVersion' | 'label'>,
): void {
  const oldest = format.oldestVersion ?? format.version;
  if (
    typeof version === 'number' &&
    Number.isInteger(version) &&
    version >= oldest &&
    version <= format.version
  ) {
    return;
  }
  const reads =
    oldest === format.version ? `version ${format.version}` : `versions ${oldest} to ${format.version}`;
  throw new InvalidOptionsError(
    'state.version',
    `this botlens reads ${format.label} state ${reads}, got ${describeValue(version)}: refit or upgrade botlens`,
  );
}

/**
 * The fields of `source` among `keys` that are set (not `undefined`), e.g. to write options into a `toJSON()`
 * state or to pass them on. The fields must hold JSON values.
 *
 * @param source - the options
 * @param keys - the fields to copy, in the order they are written
 *
 * @internal
 */
export function definedFields<T extends object, K extends keyof T & string>(
  source: T,
  keys: readonly K[],
): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) {
    const v = source[k];
    if (v !== undefined) out[k] = v as JsonObject[string];
  }
  return out;
}

/**
 * The fields of a saved state among `keys` that hold a value of `type`; others are skipped.
 *
 * @param state - the saved state
 * @param type - the type to keep
 * @param keys - the fields to read
 *
 * @internal
 */
export function fieldsOfType<K extends string, T extends 'number' | 'string'>(
  state: JsonObject,
  type: T,
  keys: readonly K[],
): Partial<Record<K, T extends 'number' ? number : string>> {
  const out: Partial<Record<K, T extends 'number' ? number : string>> = {};
  for (const k of keys) {
    const v = state[k];
    if (typeof v === type) out[k] = v as T extends 'number' ? number : string;
  }
  return out;
}

/**
 * The opening every saved detector state shares, in the order `toJSON()` writes it: the kind, the state format
 * version, the detector's name and its threshold.
 *
 * @param kind - the detector type's state kind
 * @param version - the state format version
 * @param name - the detector's name
 * @param threshold - the detector's label threshold
 */
export function stateHead(kind: string, version: number, name: string, threshold: number): DetectorState {
  return { kind, version, name, threshold };
}
