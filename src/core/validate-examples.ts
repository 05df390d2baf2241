import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';
import { describeValue } from './describe-value.js';
import { sharedAcrossCopies } from './shared-across-copies.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from './transcript.js';
import { type ValidationLimits, validateTranscript } from './validate.js';

/**
 * Labelled examples already validated under explicit limits (by the data reader), with their valid copy. Shared
 * by every copy of botlens in the process (see `sharedAcrossCopies`): records one copy's reader read under a
 * raised `maxMessages` fit in another copy as in the reader's.
 */
const checked = sharedAcrossCopies('validated-examples', () => new WeakMap<object, ValidTranscript>());

/**
 * Records that `example` was validated (under explicit limits, e.g. a raised `maxMessages`) as `valid`, so the
 * ensemble, evaluation and detectors' `fit()` accept it later without re-checking it against the default
 * limits. Keyed by identity: a changed copy is validated again.
 *
 * @internal
 */
export function rememberValidated(example: object, valid: ValidTranscript): void {
  checked.set(example, valid);
}

/**
 * `validateTranscript`, except that a record the data reader validated under explicit limits (see
 * {@link rememberValidated}) is accepted as its valid copy.
 *
 * @param t - the transcript
 * @throws InvalidTranscriptError
 * @internal
 */
export function validateKnown(t: unknown): ValidTranscript {
  return validateTranscript(knownOr(t));
}

/**
 * The valid copy recorded for `t` (see {@link rememberValidated}), or `t` itself. Callers hand the result to
 * `validateTranscript`, which takes a copy on its word only when it is one it returned (frozen, in its own
 * registry): this registry is reachable by its public symbol, so an object put in it by other code is checked
 * again rather than trusted.
 */
function knownOr(t: unknown): unknown {
  return (typeof t === 'object' && t !== null ? checked.get(t) : undefined) ?? t;
}

/**
 * `validateTranscript`, with every issue path prefixed by where the transcript sits (`examples[3]` gives
 * `examples[3].messages[0].text`).
 *
 * @param t - the transcript
 * @param where - its place in the caller's argument, e.g. `examples[3]`
 * @throws InvalidTranscriptError naming `where`
 *
 * @internal
 */
export function validateTranscriptAt(t: unknown, where: string, limits?: ValidationLimits): ValidTranscript {
  try {
    return validateTranscript(limits === undefined ? knownOr(t) : t, limits);
  } catch (err) {
    if (InvalidTranscriptError.isInstance(err)) {
      throw new InvalidTranscriptError(
        err.issues.map((x) => ({ path: `${where}${x.path ? `.${x.path}` : ''}`, message: x.message })),
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Checks that a labelled example's label is `human` or `bot`.
 *
 * @param example - the example (already validated as a transcript)
 * @param where - its place in the caller's argument, e.g. `examples[3]`
 * @throws InvalidTranscriptError naming `<where>.label`
 *
 * @internal
 */
export function checkLabel(example: LabelledTranscript, where: string): void {
  const label = (example as { label?: unknown }).label;
  if (label !== 'human' && label !== 'bot') {
    throw new InvalidTranscriptError([
      { path: `${where}.label`, message: `label must be "human" or "bot", got ${describeValue(label)}` },
    ]);
  }
}

function checkArray(items: unknown, what: string, noun: string): void {
  if (!Array.isArray(items)) {
    throw new InvalidOptionsError(
      what,
      `expected an array of ${noun}, got ${items === null ? 'null' : typeof items}`,
    );
  }
}

/**
 * Validates a list of transcripts, naming the item in every issue path (`examples[3].messages[0].text`).
 *
 * @param items - the transcripts
 * @param what - the argument's name, used as the path prefix
 * @throws InvalidOptionsError when `items` is not an array; InvalidTranscriptError for a bad item
 *
 * @internal
 */
export function validateAll(items: readonly Transcript[], what: string): ValidTranscript[] {
  checkArray(items, what, 'transcripts');
  return items.map((t, i) => validateTranscriptAt(t, `${what}[${i}]`));
}

/**
 * The valid copies of training examples, each made once and then shared: an ensemble's fit keeps one for its
 * examples and their prefix cuts, and hands it to every member fit (each out-of-fold fold's and the final one,
 * see `markValidCopies`), so a member validates each example once per ensemble fit rather than once per fit,
 * and gets the same frozen copy each time (what it derives from a copy can be kept with it, e.g. the
 * heuristic's signals). Keyed by identity, for the length of one ensemble fit.
 *
 * @internal
 */
export class ValidCopies {
  private readonly copies = new WeakMap<object, ValidTranscript>();

  /**
   * Records `valid` as the valid copy of `example` (from `validateLabelled`, under the default limits).
   *
   * @param example - the example as given
   * @param valid - its valid copy
   */
  set(example: object, valid: ValidTranscript): void {
    this.copies.set(example, valid);
  }

  /**
   * The valid copy of `example`: the recorded one, else validated now (as {@link validateTranscriptAt}
   * validates it, naming `where` in an error) and recorded.
   *
   * @param example - the example
   * @param where - its place in the caller's argument, e.g. `examples[3]`
   * @throws InvalidTranscriptError naming `where`
   */
  of(example: LabelledTranscript, where: string): ValidTranscript {
    const known = this.copies.get(example);
    if (known !== undefined) return known;
    const valid = validateTranscriptAt(example, where);
    this.copies.set(example, valid);
    return valid;
  }
}

/**
 * Validates labelled examples: each transcript, then each label (`human` or `bot`).
 *
 * @param items - the labelled transcripts
 * @param what - the argument's name, used as the path prefix
 * @param limits - validation limits (default: those of `validateTranscript`)
 * @param copies - valid copies made before (under the default limits; see {@link ValidCopies}): an example
 *   found there is taken as it is, one not found is validated and added
 * @throws InvalidOptionsError when `items` is not an array; InvalidTranscriptError for a bad item or label
 *
 * @internal
 */
export function validateLabelled(
  items: readonly LabelledTranscript[],
  what: string,
  limits?: ValidationLimits,
  copies?: ValidCopies,
): ValidTranscript[] {
  checkArray(items, what, 'labelled transcripts');
  const valids = items.map((t, i) =>
    copies !== undefined && limits === undefined
      ? copies.of(t, `${what}[${i}]`)
      : validateTranscriptAt(t, `${what}[${i}]`, limits),
  );
  items.forEach((e, i) => {
    checkLabel(e, `${what}[${i}]`);
  });
  return valids;
}
