/** Signals measured on the target speaker's text. They are measurable whenever it sent a non-blank message. */
export const TEXT_FEATURE_NAMES = [
  'mean_words',
  'length_cv',
  'short_reply_share',
  'multi_sentence_share',
  'end_punctuation_share',
  'question_rate',
  'tokenizer_spacing_share',
  'trailing_space_share',
  'lowercase_share',
  'capitalised_start_share',
  'punctuation_rate',
  'emoji_rate',
  'link_rate',
  'exact_repeat_share',
  'near_repeat_mean',
  'echo_similarity',
] as const;

/** Signals measured on reply timing. They are measurable only when messages carry timestamps. */
export const TIMING_FEATURE_NAMES = [
  'median_delay_ms',
  'delay_cv',
  'fast_reply_share',
  'typing_speed_cps',
] as const;

/** Every style signal, text first, in the order detectors and weights use. */
export const STYLE_FEATURE_NAMES = [...TEXT_FEATURE_NAMES, ...TIMING_FEATURE_NAMES] as const;

/** The name of one style signal. */
export type StyleFeatureName = (typeof STYLE_FEATURE_NAMES)[number];

/** Options for `computeStyleFeatures`. */
export interface StyleFeatureOptions {
  /**
   * A reply sent sooner than this after the other speaker's message counts as faster than a human.
   * @defaultValue 1000
   */
  minHumanDelayMs?: number;
  /**
   * A reply typed faster than this many characters per second of delay counts as faster than a human
   * (fast human typists sustain about 8-12 characters per second).
   * @defaultValue 15
   */
  maxHumanCharsPerSecond?: number;
  /**
   * Near repetition compares each message with at most this many earlier messages of the target, which keeps
   * the cost linear in the transcript length.
   * @defaultValue 32
   */
  repeatWindow?: number;
}

/** The counts behind the signal values, for evidence sentences. */
export interface StyleCounts {
  /** Messages sent by the target. */
  messages: number;
  /** Target messages that are not blank (the base of the text signals). */
  textMessages: number;
  /** Words in the target's messages. */
  words: number;
  /** Emoji in the target's messages (a ZWJ sequence or a flag counts once). */
  emoji: number;
  /** Links in the target's messages. */
  links: number;
  /** Questions (runs of `?`) in the target's messages. */
  questions: number;
  /** Messages of at most two words. */
  shortReplies: number;
  /** Messages holding two or more sentences. */
  multiSentence: number;
  /** Messages ending with terminal punctuation. */
  endPunctuation: number;
  /** Messages with tokenizer-style spacing (`i 'm`, `hello .`). */
  tokenizerSpacing: number;
  /** Messages ending with whitespace. */
  trailingSpace: number;
  /** Messages whose cased letters are all lower case. */
  lowercase: number;
  /** Messages with at least one cased letter (the base of `lowercase_share`). */
  casedMessages: number;
  /** Sentences starting with an upper-case letter. */
  capitalisedStarts: number;
  /** Sentences starting with a cased letter (the base of `capitalised_start_share`). */
  casedSentences: number;
  /** Messages that repeat an earlier message of the target word for word. */
  exactRepeats: number;
  /** Target messages answered after a message by another speaker, with both timestamps (timed replies). */
  timedReplies: number;
  /** Timed replies faster than a human could send them. */
  fastReplies: number;
}

/**
 * The style signals of one transcript's target speaker. A value is `null` when it cannot be measured: the
 * text signals when the target sent only blank messages (and the repetition signals with fewer than two
 * messages), the timing signals when timestamps are missing. Missing values are never guessed.
 */
export interface StyleFeatures {
  /** Signal values by name; `null` = not measurable on this transcript. */
  values: Record<StyleFeatureName, number | null>;
  /** The counts behind the values. */
  counts: StyleCounts;
}

/**
 * Signal values by position, in `STYLE_FEATURE_NAMES` order (as `StyleAccumulator.signals` writes them), by
 * name: `null` for those whose bit is not set in `has` (bit k for `x[k]`).
 *
 * @internal
 */
export function signalRecord(x: ArrayLike<number>, has: number): Record<StyleFeatureName, number | null> {
  const values = {} as Record<StyleFeatureName, number | null>;
  for (let k = 0; k < STYLE_FEATURE_NAMES.length; k++) {
    values[STYLE_FEATURE_NAMES[k]!] = (has >>> k) & 1 ? x[k]! : null;
  }
  return values;
}
