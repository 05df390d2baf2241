import { resolveValidationLimits } from '../core/validation-limits.js';
import type { TranscriptLimitOptions } from './transcript-limits.js';

/**
 * The most bytes botlens reads as one transcript (a JSON file, standard input, or one JSONL line), whatever the
 * limits: 256 MiB, below the longest string JavaScript can hold (about 512 MiB), so an input that large is a
 * clear error rather than a crash.
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** How {@link transcriptByteCap} is worked out, in words for messages. @internal */
export const TRANSCRIPT_CAP_RULE =
  'maxMessages × (6 × (maxTextLength + maxSpeakerLength) + 1 KiB) + 6 × maxBioLength + 64 KiB, at most 256 MiB';

/** Bytes of JSON per UTF-16 unit of text at most: `\u` escapes take 6. */
const BYTES_PER_UNIT = 6;

/** Bytes a message may take besides its text and speaker (keys, quotes, indentation, extra fields). */
const MESSAGE_OVERHEAD = 1024;

/** Bytes a transcript may take besides its messages and bio (its target, keys, indentation, extra fields). */
const TRANSCRIPT_OVERHEAD = 64 * 1024;

/**
 * The most bytes a transcript's JSON can take under `options`: `maxMessages × (6 × (maxTextLength +
 * maxSpeakerLength) + 1 KiB) + 6 × maxBioLength + 64 KiB` (6 bytes per character covers `\u` escapes), and at most
 * {@link MAX_INPUT_BYTES}. About 12.6 MB under the default limits; raising `maxMessages` (`--max-messages`) or
 * `maxTextLength` raises it. With `truncate` a transcript may hold any number of messages, so the cap is
 * {@link MAX_INPUT_BYTES}. A larger input cannot be a valid transcript, so readers stop at the cap instead of
 * reading on (an endless `/dev/zero` included).
 *
 * @param options - the limits and whether to truncate
 * @returns the cap in bytes
 */
export function transcriptByteCap(options: TranscriptLimitOptions = {}): number {
  if (options.truncate) return MAX_INPUT_BYTES;
  const l = resolveValidationLimits(options.limits);
  const perMessage = BYTES_PER_UNIT * (l.maxTextLength + l.maxSpeakerLength) + MESSAGE_OVERHEAD;
  return Math.min(
    MAX_INPUT_BYTES,
    l.maxMessages * perMessage + BYTES_PER_UNIT * l.maxBioLength + TRANSCRIPT_OVERHEAD,
  );
}
