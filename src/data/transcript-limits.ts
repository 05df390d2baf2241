import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import type { ValidTranscript } from '../core/transcript.js';
import { DEFAULT_LIMITS, type ValidationLimits, validateTranscript } from '../core/validate.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';

/** How long transcripts are handled where they enter (a file, the CLI, a service request). */
export interface TranscriptLimitOptions {
  /**
   * Validation limits, e.g. `{ maxMessages: 2000 }` for long chats.
   * @defaultValue the defaults of `validateTranscript` (200 messages)
   */
  limits?: ValidationLimits;
  /**
   * Keep only the last `limits.maxMessages` messages of a longer transcript instead of rejecting it.
   * @defaultValue false
   */
  truncate?: boolean;
}

/** Every key of {@link TranscriptLimitOptions}, for the options checks of the functions that take them. @internal */
export const TRANSCRIPT_LIMIT_OPTION_KEYS: OptionKeys<TranscriptLimitOptions> = {
  limits: true,
  truncate: true,
};

/**
 * With `truncate`, a copy of `value` that keeps only its last `maxMessages` messages when it has more;
 * otherwise `value` itself. Anything that is not a transcript-shaped object is returned as is, for validation
 * to reject.
 *
 * @param value - typically parsed JSON
 * @param options - the limits and whether to truncate
 * @example
 * ```ts
 * truncateTranscript(longChat, { limits: { maxMessages: 500 }, truncate: true }).messages.length; // 500
 * ```
 */
export function truncateTranscript<T>(value: T, options: TranscriptLimitOptions): T {
  const max = options.limits?.maxMessages ?? DEFAULT_LIMITS.maxMessages;
  const v = value as { messages?: unknown };
  if (!options.truncate || typeof v !== 'object' || v === null || !Array.isArray(v.messages)) return value;
  if (v.messages.length <= max) return value;
  return { ...v, messages: v.messages.slice(v.messages.length - max) } as T;
}

/**
 * Applies the limits where a transcript enters: truncates when asked, then validates under the limits. The
 * validated copy it returns is accepted as it is by every detector and the ensemble, even under raised limits
 * (the service and the CLI pass it on instead of the raw input).
 *
 * @param value - typically parsed JSON
 * @param options - the limits and whether to truncate
 * @throws InvalidTranscriptError when the transcript is invalid under the limits
 * @example
 * ```ts
 * const t = limitTranscript(body, { limits: { maxMessages: 2000 }, truncate: false });
 * await detector.detect(t);
 * ```
 */
export function limitTranscript(value: unknown, options: TranscriptLimitOptions): ValidTranscript {
  refuseUnknownKeys(options, TRANSCRIPT_LIMIT_OPTION_KEYS, 'the options of limitTranscript()');
  const cut = truncateTranscript(value, options);
  const before = cut !== value ? (value as { messages: unknown[] }).messages : undefined;
  const valid = validateTruncated(cut, before, options.limits);
  if (before !== undefined) markTruncated(valid, before.length);
  return valid;
}

/** The speaker of a message as given (before validation), or `undefined`. */
function speakerOf(m: unknown): unknown {
  return typeof m === 'object' && m !== null ? (m as { speaker?: unknown }).speaker : undefined;
}

/**
 * `validateTranscript` of a transcript that {@link truncateTranscript} may have cut, saying what truncation did
 * when it is the cause: the target's messages all fell before the last `maxMessages` (not "sent no message: use
 * one of ..." about a valid transcript), or a transcript of several speakers with no target kept one speaker's
 * messages only (which validation alone would judge as the lone speaker). The one home of these words for the
 * service, the CLI's `--truncate` and the JSONL reader.
 *
 * @param t - the transcript as validated (cut, or not)
 * @param before - the messages before truncation, when it dropped some; else `undefined`
 * @param limits - the validation limits
 * @throws InvalidTranscriptError as `validateTranscript` does, with the `target` issue explaining the truncation
 * @internal
 */
export function validateTruncated(
  t: unknown,
  before: readonly unknown[] | undefined,
  limits: ValidationLimits | undefined,
): ValidTranscript {
  let valid: ValidTranscript;
  try {
    valid = validateTranscript(t, limits);
  } catch (err) {
    // `t` may be anything JSON parses to (`null` included): only an object has a target to explain.
    const target = typeof t === 'object' && t !== null ? (t as { target?: unknown }).target : undefined;
    if (
      before === undefined ||
      !InvalidTranscriptError.isInstance(err) ||
      typeof target !== 'string' ||
      !before.some((m) => speakerOf(m) === target)
    ) {
      throw err;
    }
    const message = `target "${target.slice(0, 80)}" sent none of the last ${(t as { messages: unknown[] }).messages.length} messages that truncation kept (its messages are all among the ${before.length - (t as { messages: unknown[] }).messages.length} dropped before them): ${RAISE_LIMIT}`;
    const refusal = new InvalidTranscriptError(
      err.issues.map((i) => (i.path === 'target' ? { path: 'target', message } : i)),
      { cause: err },
    );
    truncationRefusals.add(refusal);
    throw refusal;
  }
  if (before !== undefined && (t as { target?: unknown }).target === undefined) {
    const other = before.find((m) => speakerOf(m) !== valid.target);
    if (other !== undefined) {
      throw new InvalidTranscriptError([
        {
          path: 'target',
          message: `target is missing and the transcript has more than one speaker (the last ${valid.messages.length} messages that truncation kept are all "${valid.target.slice(0, 80)}"'s): set target to the speaker to judge`,
        },
      ]);
    }
  }
  return valid;
}

/** The errors {@link validateTruncated} threw because truncation dropped every message of the target. */
const truncationRefusals = new WeakSet<object>();

/**
 * True when `err`, or an error it was made from (its `cause`, as a reader that names the line wraps it), is
 * {@link validateTruncated}'s refusal of a transcript whose target truncation dropped: the transcript is valid and
 * a larger `maxMessages` scores it, so "fix the line" is not the advice to give.
 *
 * @param err - a caught error
 * @internal
 */
export function refusedByTruncation(err: unknown): boolean {
  for (let e = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if (truncationRefusals.has(e)) return true;
  }
  return false;
}

/** What to do when truncation dropped what validation needed. */
const RAISE_LIMIT =
  'raise maxMessages (--max-messages on the command line, server.maxMessages in the service config) or do not truncate';

/** Transcripts {@link limitTranscript} truncated, with the message count they had. */
const originalCounts = new WeakMap<object, number>();

/**
 * Records that `t` was cut to its last `maxMessages` messages from `from` messages, for
 * {@link messagesBeforeTruncation}. @internal
 */
export function markTruncated(t: object, from: number): void {
  originalCounts.set(t, from);
}

/**
 * How many messages `t` had before {@link limitTranscript} (or the JSONL reader) truncated it to its last
 * `maxMessages`; `undefined` when it was not truncated. The CLI and the service report it (`truncatedFrom`) and shift timeline indexes by
 * the messages dropped. @internal
 */
export function messagesBeforeTruncation(t: object): number | undefined {
  return originalCounts.get(t);
}

/**
 * How many messages a transcript had before `truncate` kept only its last `limits.maxMessages`: the same number the
 * service's answers and `botlens detect --truncate` carry as `truncatedFrom`; `undefined` when nothing was cut.
 * It knows the transcripts `readTranscriptJson` and `limitTranscript` return (the objects themselves, not copies)
 * and the records `readTranscriptsJsonl` and `parseTranscriptsJsonl` return (which also carry it as their own
 * `truncatedFrom` field, so a copy keeps it).
 *
 * The messages dropped, `truncatedFrom(t) - t.messages.length`, are the `messageOffset` a timeline of a truncated
 * transcript needs, so that its `messageIndex` counts from the start of the original chat.
 *
 * @param t - a transcript or record as a reader returned it
 * @returns the original message count, or `undefined` when the transcript was not truncated
 *
 * @example
 * ```ts
 * const t = await readTranscriptJson('long.json', { truncate: true });
 * const from = truncatedFrom(t); // 1000 for a chat of 1000 messages cut to its last 200
 * const points = await detectTimeline(detector, t, { messageOffset: (from ?? t.messages.length) - t.messages.length });
 * ```
 */
export function truncatedFrom(t: object): number | undefined {
  const own = (t as { truncatedFrom?: unknown }).truncatedFrom;
  return typeof own === 'number' ? own : messagesBeforeTruncation(t);
}
