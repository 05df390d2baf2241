import type { StyleCounts, StyleFeatureName, StyleFeatureOptions } from './style-feature-types.js';

/** Contributions smaller than this (in log-odds) are described as having no effect. */
const NEGLIGIBLE = 0.05;

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const share = (k: number, n: number): string => `${k} of ${n} (${pct(n > 0 ? k / n : 0)})`;

/**
 * A duration in milliseconds, in the unit a person reads it in: "850 ms", "2.5 s", "3.0 min".
 *
 * @param v - milliseconds, at least 0
 */
export function ms(v: number): string {
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 120_000) return `${(v / 1000).toFixed(1)} s`;
  return `${(v / 60_000).toFixed(1)} min`;
}

/** Says what was measured for one signal, from its value and the counts behind it. */
function describe(
  name: StyleFeatureName,
  v: number,
  c: StyleCounts,
  o: Required<StyleFeatureOptions>,
): string {
  const n = c.textMessages;
  switch (name) {
    case 'mean_words':
      return `The target writes ${v.toFixed(1)} words per message on average`;
    case 'length_cv':
      return `Message lengths vary with a coefficient of variation of ${v.toFixed(2)}`;
    case 'short_reply_share':
      return `${share(c.shortReplies, n)} messages have at most two words`;
    case 'multi_sentence_share':
      return `${share(c.multiSentence, n)} messages hold two or more sentences`;
    case 'end_punctuation_share':
      return `${share(c.endPunctuation, n)} messages end with terminal punctuation (. ! ?)`;
    case 'question_rate':
      return `${c.questions} question(s) in ${n} messages (${v.toFixed(2)} per message)`;
    case 'tokenizer_spacing_share':
      // No example quoted: the counts do not say which spacing this transcript holds.
      return `${share(c.tokenizerSpacing, n)} messages are spaced like tokenizer output (a space before punctuation or inside a contraction)`;
    case 'trailing_space_share':
      return `${share(c.trailingSpace, n)} messages end with whitespace`;
    case 'lowercase_share':
      return `${share(c.lowercase, c.casedMessages)} messages with cased letters are all lower case`;
    case 'capitalised_start_share':
      return `${share(c.capitalisedStarts, c.casedSentences)} sentences start with a capital letter`;
    case 'punctuation_rate':
      return `${pct(v)} of the non-space characters are punctuation`;
    case 'emoji_rate':
      return `${c.emoji} emoji in ${n} messages (${v.toFixed(2)} per message)`;
    case 'link_rate':
      return `${c.links} link(s) in ${n} messages (${v.toFixed(2)} per message)`;
    case 'exact_repeat_share':
      return `${share(c.exactRepeats, n)} messages repeat an earlier message of the target word for word`;
    case 'near_repeat_mean':
      return `A message shares on average ${pct(v)} of its words (Jaccard) with the most similar recent message of the target`;
    case 'echo_similarity':
      return `A message shares on average ${pct(v)} of its words (Jaccard) with the other speaker's latest message`;
    case 'median_delay_ms':
      return `The median reply delay is ${ms(v)} over ${c.timedReplies} timed replies`;
    case 'delay_cv':
      return `Reply delays vary with a coefficient of variation of ${v.toFixed(2)} over ${c.timedReplies} timed replies`;
    case 'fast_reply_share':
      return `${share(c.fastReplies, c.timedReplies)} timed replies came faster than a person reads and types (under ${o.minHumanDelayMs} ms, or over ${o.maxHumanCharsPerSecond} characters per second)`;
    case 'typing_speed_cps':
      return `The median reply arrives at ${v.toFixed(1)} characters per second of delay`;
  }
}

/** Says why a signal could not be measured. */
function whyMissing(name: StyleFeatureName, c: StyleCounts): string {
  switch (name) {
    case 'median_delay_ms':
    case 'delay_cv':
    case 'fast_reply_share':
    case 'typing_speed_cps':
      if (c.timedReplies === 1 && name === 'delay_cv')
        return 'Not measured: it needs at least two timed replies';
      return 'Not measured: no timed reply (messages need timestamps, and a target message must follow one by another speaker)';
    default:
      break;
  }
  if (c.textMessages === 0) return 'Not measured: the target sent only blank messages';
  switch (name) {
    case 'length_cv':
    case 'exact_repeat_share':
    case 'near_repeat_mean':
      return 'Not measured: it needs at least two target messages with words';
    case 'lowercase_share':
      return 'Not measured: no message has letters with case (only digits, emoji, or a script without case)';
    case 'capitalised_start_share':
      return 'Not measured: no sentence starts with a letter that has case';
    case 'echo_similarity':
      return "Not measured: no target message with words follows another speaker's message with words";
    default:
      return 'Not measured on this transcript';
  }
}

/**
 * One readable sentence for a signal: what was measured and which way it moved the score.
 *
 * @param name - the signal
 * @param value - its raw value, or `null` when it could not be measured
 * @param weight - its weight (0 = reported only)
 * @param contribution - weight x standardized value, in log-odds
 * @param counts - the counts behind the values
 * @param options - the timing thresholds in use
 */
export function signalSentence(
  name: StyleFeatureName,
  value: number | null,
  weight: number,
  contribution: number,
  counts: StyleCounts,
  options: Required<StyleFeatureOptions>,
): string {
  if (value === null)
    return `${whyMissing(name, counts)}; left at the training mean, so it has no effect on the score.`;
  const what = describe(name, value, counts, options);
  if (weight === 0) return `${what}; this signal has weight 0 here, so it is reported only.`;
  const signed = `${contribution >= 0 ? '+' : ''}${contribution.toFixed(2)} log-odds`;
  if (Math.abs(contribution) < NEGLIGIBLE)
    return `${what}; that is close to usual, so it barely moves the score (${signed}).`;
  return `${what}; this points toward ${contribution > 0 ? 'bot' : 'human'} (${signed}).`;
}
