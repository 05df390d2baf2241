import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import type { ValidTranscript } from '../core/transcript.js';
import { DEFAULT_LIMITS, type ValidationLimits, validateTranscript } from '../core/validate.js';

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
  const valid = validateTranscript(cut, options.limits);
  if (cut !== value) markTruncated(valid, (value as { messages: unknown[] }).messages.length);
  return valid;
}

/** Transcripts {@link limitTranscript} truncated, with the message count they had. */
const truncatedFrom = new WeakMap<object, number>();

/**
 * Records that `t` was cut to its last `maxMessages` messages from `from` messages, for
 * {@link messagesBeforeTruncation}. @internal
 */
export function markTruncated(t: object, from: number): void {
  truncatedFrom.set(t, from);
}

/**
 * How many messages `t` had before {@link limitTranscript} (or the JSONL reader) truncated it to its last
 * `maxMessages`; `undefined` when it was not truncated. The CLI and the service report it (`truncatedFrom`) and shift timeline indexes by
 * the messages dropped. @internal
 */
export function messagesBeforeTruncation(t: object): number | undefined {
  return truncatedFrom.get(t);
}
