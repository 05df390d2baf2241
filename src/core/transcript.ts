/** The two labels botlens assigns. `bot` is the positive class in every metric. */
export type Label = 'human' | 'bot';

/**
 * One chat message.
 *
 * @example
 * ```ts
 * const m: Message = { speaker: 'alice', text: 'hi!', timestamp: '2024-05-01T10:00:00Z' };
 * ```
 */
export interface Message {
  /** Who sent it. Any non-empty string; compared exactly (case-sensitive). */
  speaker: string;
  /** What was said. May be empty. */
  text: string;
  /**
   * When it was sent: milliseconds since the Unix epoch (as `Date.now()` gives), or an ISO 8601 string (one
   * with no zone, such as `2024-01-01T10:00:05`, is read as UTC, whatever the machine's time zone; a zone word
   * is kept after `T` as after a space: `2024-01-01T10:00:05 EST`). Either way not before 1970-01-01T00:00:00Z
   * (a string before it is refused as a negative number is). Optional; detectors that need timing abstain when it is missing.
   *
   * A number must be epoch milliseconds from 0 to 8.64e15 (the `Date` range); relative times from 0 are fine.
   * Epoch seconds (Python's `time.time()`, Slack's `ts`: a number from 1e9 to 1e10, which as milliseconds would be
   * January to April 1970) are refused with an `InvalidTranscriptError` saying to multiply by 1000.
   */
  timestamp?: number | string;
}

/** The judged speaker's profile, when the platform has one. */
export interface Profile {
  /** Free-text biography. */
  bio?: string;
  /** Avatar image: a file path, an http(s) or data URL, or the encoded image bytes (PNG, JPEG...). */
  avatar?: string | Uint8Array;
}

/**
 * A conversation and the speaker to judge.
 *
 * @example
 * ```ts
 * const t: Transcript = {
 *   target: 'bot42',
 *   messages: [
 *     { speaker: 'alice', text: 'hey, how was your weekend?' },
 *     { speaker: 'bot42', text: 'Hello ! I am fine . What do you do for fun ?' },
 *   ],
 * };
 * ```
 */
export interface Transcript {
  /** The messages in order, 1 to 200 by default. */
  messages: Message[];
  /** The speaker to judge. May be omitted only when the transcript has a single speaker. */
  target?: string;
  /** The target speaker's profile. */
  profile?: Profile;
}

/** A transcript with its known label, for `fit()`, calibration and evaluation. */
export interface LabelledTranscript extends Transcript {
  /** Whether the target speaker is a human or a bot. */
  label: Label;
}

/**
 * A message after validation. It is still a {@link Message} (so a validated transcript can go wherever a
 * transcript can), with the timestamp normalized to epoch milliseconds in `timeMs`.
 */
export interface ValidMessage extends Message {
  /** Epoch milliseconds (ISO strings are converted), or `undefined` when the message had none. */
  timestamp?: number;
  /** The same as `timestamp`: epoch milliseconds, or `undefined`. */
  readonly timeMs: number | undefined;
}

/**
 * A transcript that passed {@link validateTranscript}: frozen at run time, with the target resolved and
 * timestamps normalized. It is still a {@link Transcript}; passing it to `validateTranscript` again costs nothing.
 */
export interface ValidTranscript extends Transcript {
  /** The validated messages (frozen). */
  messages: ValidMessage[];
  /** The resolved target speaker. */
  target: string;
}
