import type { LabelledTranscript, Transcript, ValidTranscript } from '../core/transcript.js';
import { validateTranscript } from '../core/validate.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';

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
  if (!Array.isArray(items)) {
    throw new InvalidOptionsError(
      what,
      `expected an array of transcripts, got ${items === null ? 'null' : typeof items}`,
    );
  }
  return items.map((t, i) => {
    try {
      return validateTranscript(t);
    } catch (err) {
      if (InvalidTranscriptError.isInstance(err)) {
        throw new InvalidTranscriptError(
          err.issues.map((x) => ({ path: `${what}[${i}]${x.path ? `.${x.path}` : ''}`, message: x.message })),
          { cause: err },
        );
      }
      throw err;
    }
  });
}

/**
 * Validates labelled examples: each transcript, and each label (`human` or `bot`).
 *
 * @param items - the labelled transcripts
 * @param what - the argument's name, used as the path prefix
 * @throws InvalidOptionsError when `items` is not an array; InvalidTranscriptError for a bad item or label
 *
 * @internal
 */
export function validateLabelled(items: readonly LabelledTranscript[], what: string): ValidTranscript[] {
  const valids = validateAll(items, what);
  items.forEach((e, i) => {
    if (e.label !== 'human' && e.label !== 'bot') {
      throw new InvalidTranscriptError([
        {
          path: `${what}[${i}].label`,
          message: `label must be "human" or "bot", got ${JSON.stringify(e.label)}`,
        },
      ]);
    }
  });
  return valids;
}
