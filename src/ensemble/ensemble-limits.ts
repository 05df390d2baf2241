/**
 * The ensemble's `limits` option where a transcript enters the ensemble: validation under it, and the wording of
 * the refusal of a transcript or stream that holds too many messages, which names the ensemble's option (a
 * member's own `limits` do not raise the ensemble's).
 *
 * @module
 * @internal
 */
import type { Transcript, ValidTranscript } from '../core/transcript.js';
import { type ValidationLimits, validateTranscript } from '../core/validate.js';
import { validateAll, validateKnown, validateTranscriptAt } from '../core/validate-examples.js';
import { InvalidTranscriptError, type TranscriptIssue } from '../errors/invalid-transcript-error.js';

/** The core wording of a transcript or push over `maxMessages` (`validateTranscript`, `MessageLog`). */
const TOO_MANY = /^messages has more than (\d+) messages/;

/** The issue of `issues` that says the transcript holds more than `maxMessages` messages, and that limit. */
function tooManyIssue(issues: readonly TranscriptIssue[]): { at: number; max: number } | undefined {
  for (let at = 0; at < issues.length; at++) {
    const i = issues[at]!;
    const m = TOO_MANY.exec(i.message);
    if (m !== null && (i.path === 'messages' || i.path.endsWith('.messages')))
      return { at, max: Number(m[1]) };
  }
  return undefined;
}

/**
 * `err` reworded for an ensemble when it refuses a transcript (or a stream push) for holding more than
 * `maxMessages` messages: the fix is the ensemble's `limits` option (or the stream's), which the core wording
 * does not name. Any other error is returned as it is.
 *
 * @param err - what validation (or the stream) threw
 * @param name - the ensemble's name
 * @param stream - true for a stream push (its wording says the stream keeps what it had)
 * @param count - the transcript's message count, when known: the limit the message suggests (else 10 times the
 *   limit hit)
 */
export function withEnsembleLimitHint(err: unknown, name: string, stream = false, count?: number): unknown {
  if (!InvalidTranscriptError.isInstance(err)) return err;
  const found = tooManyIssue(err.issues);
  if (found === undefined) return err;
  const { at, max } = found;
  const more = count !== undefined && count > max ? count : max * 10;
  const raise = `raise the ensemble's limit: new Ensemble(members, { limits: { maxMessages: ${more} } }) (a member's own limits do not raise it)`;
  const message = stream
    ? `messages has more than ${max} messages: this push was refused and the stream judges the first ${max}; ${raise}, or open the stream with { target, limits: { maxMessages: ${more} } }`
    : `messages has more than ${max} messages (Ensemble "${name}" reads at most ${max}): keep the last ${max}, or ${raise}`;
  const issues = err.issues.map((i, j) => (j === at ? { path: i.path, message } : i));
  return new InvalidTranscriptError(issues, { cause: err });
}

/**
 * Validates one transcript for the ensemble: under its `limits` when given, else as before (`validateKnown`,
 * which takes a copy validated under any limits, such as the data reader's, as it is).
 *
 * @param t - the transcript
 * @param limits - the ensemble's resolved limits, or `undefined`
 * @param name - the ensemble's name, for the wording of a refusal
 * @throws InvalidTranscriptError, naming the ensemble's `limits` when the transcript is too long
 */
export function validateForEnsemble(
  t: Transcript,
  limits: ValidationLimits | undefined,
  name: string,
): ValidTranscript {
  try {
    return limits === undefined ? validateKnown(t) : validateTranscript(t, limits);
  } catch (err) {
    const messages = (t as { messages?: unknown } | null)?.messages;
    throw withEnsembleLimitHint(err, name, false, Array.isArray(messages) ? messages.length : undefined);
  }
}

/**
 * {@link validateForEnsemble} for every transcript of a batch, naming the item in every issue path.
 *
 * @param ts - the transcripts
 * @param limits - the ensemble's resolved limits, or `undefined`
 * @param name - the ensemble's name
 * @throws InvalidOptionsError when `ts` is not an array; InvalidTranscriptError for a bad item
 */
export function validateAllForEnsemble(
  ts: readonly Transcript[],
  limits: ValidationLimits | undefined,
  name: string,
): ValidTranscript[] {
  try {
    // (Not an array: validateAll says so.)
    if (limits === undefined || !Array.isArray(ts)) return validateAll(ts, 'transcripts');
    return ts.map((t, i) => validateTranscriptAt(t, `transcripts[${i}]`, limits));
  } catch (err) {
    throw withEnsembleLimitHint(err, name);
  }
}
