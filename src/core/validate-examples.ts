import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from './transcript.js';
import { validateTranscript } from './validate.js';

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
export function validateTranscriptAt(t: unknown, where: string): ValidTranscript {
  try {
    return validateTranscript(t);
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
      { path: `${where}.label`, message: `label must be "human" or "bot", got ${JSON.stringify(label)}` },
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
 * Validates labelled examples: each transcript, then each label (`human` or `bot`).
 *
 * @param items - the labelled transcripts
 * @param what - the argument's name, used as the path prefix
 * @throws InvalidOptionsError when `items` is not an array; InvalidTranscriptError for a bad item or label
 *
 * @internal
 */
export function validateLabelled(items: readonly LabelledTranscript[], what: string): ValidTranscript[] {
  checkArray(items, what, 'labelled transcripts');
  const valids = items.map((t, i) => validateTranscriptAt(t, `${what}[${i}]`));
  items.forEach((e, i) => {
    checkLabel(e, `${what}[${i}]`);
  });
  return valids;
}
