import type { ValidTranscript } from '../../core/transcript.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import {
  coefficientOfVariation,
  countEmoji,
  countLinks,
  countNonSpace,
  countPunctuation,
  countQuestions,
  hasEndPunctuation,
  hasTokenizerSpacing,
  hasTrailingSpace,
  lowercaseState,
  median,
  sentenceStats,
  words,
} from './text-utils.js';
import { WordOverlap } from './word-overlap.js';

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

/** Resolved options with their defaults. */
export const DEFAULT_STYLE_FEATURE_OPTIONS: Readonly<Required<StyleFeatureOptions>> = Object.freeze({
  minHumanDelayMs: 1000,
  maxHumanCharsPerSecond: 15,
  repeatWindow: 32,
});

/** Checks and fills in {@link StyleFeatureOptions}. */
export function resolveStyleFeatureOptions(options: StyleFeatureOptions = {}): Required<StyleFeatureOptions> {
  const o = { ...DEFAULT_STYLE_FEATURE_OPTIONS, ...stripUndefined(options) };
  if (!(Number.isFinite(o.minHumanDelayMs) && o.minHumanDelayMs >= 0)) {
    throw new InvalidOptionsError(
      'minHumanDelayMs',
      `expected a non-negative number of milliseconds, got ${o.minHumanDelayMs}`,
    );
  }
  if (!(Number.isFinite(o.maxHumanCharsPerSecond) && o.maxHumanCharsPerSecond > 0)) {
    throw new InvalidOptionsError(
      'maxHumanCharsPerSecond',
      `expected a positive number of characters per second, got ${o.maxHumanCharsPerSecond}`,
    );
  }
  if (!(Number.isInteger(o.repeatWindow) && o.repeatWindow >= 1)) {
    throw new InvalidOptionsError('repeatWindow', `expected a positive integer, got ${o.repeatWindow}`);
  }
  return o;
}

/** Shortest delay used for typing speed, so that a 0 ms delay gives a large but finite speed. */
const MIN_DELAY_FOR_SPEED_MS = 100;

/**
 * Measures the style signals of the target speaker of a validated transcript. A pure function: same input,
 * same output, no I/O. Runs in linear time (near repetition looks back at most `repeatWindow` messages).
 *
 * Timing: the delay of a target message is its time minus the time of the message just before it, counted
 * only when that message is by another speaker (a reply) and both carry timestamps.
 *
 * @param t - a transcript from `validateTranscript`
 * @param options - timing thresholds and the repetition window; see {@link StyleFeatureOptions}
 *
 * @example
 * ```ts
 * const f = computeStyleFeatures(
 *   validateTranscript({
 *     target: 'b',
 *     messages: [
 *       { speaker: 'a', text: 'hey, how are you?' },
 *       { speaker: 'b', text: 'i am fine . what do you do for fun ?' },
 *     ],
 *   }),
 * );
 * f.values.tokenizer_spacing_share; // 1
 * f.values.median_delay_ms; // null (no timestamps)
 * ```
 */
export function computeStyleFeatures(t: ValidTranscript, options?: StyleFeatureOptions): StyleFeatures {
  return measureStyleFeatures(t, resolveStyleFeatureOptions(options));
}

/**
 * `computeStyleFeatures` with options already resolved by {@link resolveStyleFeatureOptions}, for callers
 * that measure many transcripts with the same options.
 */
export function measureStyleFeatures(
  t: ValidTranscript,
  o: Readonly<Required<StyleFeatureOptions>>,
): StyleFeatures {
  const msgs = t.messages;
  const target = t.target;
  const c: StyleCounts = {
    messages: 0,
    textMessages: 0,
    words: 0,
    emoji: 0,
    links: 0,
    questions: 0,
    shortReplies: 0,
    multiSentence: 0,
    endPunctuation: 0,
    tokenizerSpacing: 0,
    trailingSpace: 0,
    lowercase: 0,
    casedMessages: 0,
    capitalisedStarts: 0,
    casedSentences: 0,
    exactRepeats: 0,
    timedReplies: 0,
    fastReplies: 0,
  };
  const lengths: number[] = [];
  let punct = 0;
  let nonSpace = 0;
  const seen = new Set<string>();
  const overlap = new WordOverlap(o.repeatWindow);
  let repeatSum = 0;
  let repeatN = 0;
  let echoSum = 0;
  let echoN = 0;
  let lastOther = -1;
  let lastOtherWords: readonly number[] = [];
  let lastOtherWordsOf = -1;
  const delays: number[] = [];
  const speeds: number[] = [];

  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    if (m.speaker !== target) {
      lastOther = i;
      continue;
    }
    c.messages++;
    const text = m.text;

    // Timing: a reply to the message just before, when both are timed.
    const prev = i > 0 ? msgs[i - 1]! : undefined;
    if (
      prev !== undefined &&
      prev.speaker !== target &&
      prev.timeMs !== undefined &&
      m.timeMs !== undefined
    ) {
      const delay = m.timeMs - prev.timeMs;
      const cps = text.length / (Math.max(delay, MIN_DELAY_FOR_SPEED_MS) / 1000);
      delays.push(delay);
      speeds.push(cps);
      c.timedReplies++;
      if (delay < o.minHumanDelayMs || cps > o.maxHumanCharsPerSecond) c.fastReplies++;
    }

    if (text.trim() === '') continue;
    c.textMessages++;
    lengths.push(text.length);
    const ws = words(text);
    c.words += ws.length;
    if (ws.length <= 2) c.shortReplies++;
    c.emoji += countEmoji(text);
    c.links += countLinks(text);
    c.questions += countQuestions(text);
    punct += countPunctuation(text);
    nonSpace += countNonSpace(text);
    if (hasEndPunctuation(text)) c.endPunctuation++;
    if (hasTokenizerSpacing(text)) c.tokenizerSpacing++;
    if (hasTrailingSpace(text)) c.trailingSpace++;
    const low = lowercaseState(text);
    if (low !== null) {
      c.casedMessages++;
      if (low) c.lowercase++;
    }
    const ss = sentenceStats(text);
    if (ss.sentences >= 2) c.multiSentence++;
    c.casedSentences += ss.cased;
    c.capitalisedStarts += ss.capitalised;

    // Exact repetition: same words in the same order (or the same trimmed text when it has no words).
    const key = ws.length > 0 ? ws.join(' ') : text.trim();
    if (seen.has(key)) c.exactRepeats++;
    else seen.add(key);

    const set = overlap.distinct(ws);
    if (set.length > 0) {
      // Near repetition: highest word-set overlap with a recent earlier message.
      const best = overlap.addAndCompare(set);
      if (best !== null) {
        repeatSum += best;
        repeatN++;
      }
      // Echo: overlap with the other speaker's latest message.
      if (lastOther >= 0) {
        if (lastOtherWordsOf !== lastOther) {
          lastOtherWords = overlap.distinct(words(msgs[lastOther]!.text));
          lastOtherWordsOf = lastOther;
        }
        if (lastOtherWords.length > 0) {
          echoSum += overlap.jaccard(set, lastOtherWords);
          echoN++;
        }
      }
    }
  }

  const n = c.textMessages;
  const hasText = n > 0;
  const rate = (k: number): number | null => (hasText ? k / n : null);
  const values: Record<StyleFeatureName, number | null> = {
    mean_words: rate(c.words),
    // every length is >= 1 (blank messages are skipped above), so the mean is positive
    length_cv: n >= 2 ? coefficientOfVariation(lengths) : null,
    short_reply_share: rate(c.shortReplies),
    multi_sentence_share: rate(c.multiSentence),
    end_punctuation_share: rate(c.endPunctuation),
    question_rate: rate(c.questions),
    tokenizer_spacing_share: rate(c.tokenizerSpacing),
    trailing_space_share: rate(c.trailingSpace),
    lowercase_share: c.casedMessages > 0 ? c.lowercase / c.casedMessages : null,
    capitalised_start_share: c.casedSentences > 0 ? c.capitalisedStarts / c.casedSentences : null,
    punctuation_rate: hasText && nonSpace > 0 ? punct / nonSpace : null,
    emoji_rate: rate(c.emoji),
    link_rate: rate(c.links),
    exact_repeat_share: n >= 2 ? c.exactRepeats / n : null,
    near_repeat_mean: repeatN > 0 ? repeatSum / repeatN : null,
    echo_similarity: echoN > 0 ? echoSum / echoN : null,
    median_delay_ms: delays.length > 0 ? median(delays.slice()) : null,
    delay_cv: delays.length >= 2 ? coefficientOfVariation(delays) : null,
    fast_reply_share: delays.length > 0 ? c.fastReplies / delays.length : null,
    typing_speed_cps: speeds.length > 0 ? median(speeds) : null,
  };
  return { values, counts: c };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
