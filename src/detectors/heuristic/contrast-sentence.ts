import { ms } from './signal-sentences.js';
import type { StyleFeatureName } from './style-feature-types.js';

/**
 * How one style signal reads in a contrast sentence: `what` names it in plain words, `amount` writes the size of
 * a difference. `ratio` is set for the signals compared as `log(1 + target's) - log(1 + partner's)`: the verb
 * and the counted thing, so the sentence can say "writes 2.0× as many words per message".
 */
interface ContrastWording {
  what: string;
  amount: (difference: number) => string;
  ratio?: { verb: string; thing: string };
}

const points = (d: number): string => `${(d * 100).toFixed(0)} percentage points`;
const fixed =
  (digits: number, unit = '') =>
  (d: number): string =>
    `${d.toFixed(digits)}${unit}`;

/** Every style signal in plain words (a `Record`, so a new signal cannot be added without its wording). */
const WORDING: Record<StyleFeatureName, ContrastWording> = {
  mean_words: {
    what: 'words per message',
    amount: fixed(1, ' words'),
    ratio: { verb: 'writes', thing: 'word' },
  },
  length_cv: { what: 'variation in message length (coefficient of variation)', amount: fixed(2) },
  short_reply_share: { what: 'share of messages with at most two words', amount: points },
  multi_sentence_share: { what: 'share of messages holding two or more sentences', amount: points },
  end_punctuation_share: { what: 'share of messages ending with . ! or ?', amount: points },
  question_rate: {
    what: 'questions per message',
    amount: fixed(2, ' questions'),
    ratio: { verb: 'asks', thing: 'question' },
  },
  tokenizer_spacing_share: { what: 'share of messages spaced like tokenizer output', amount: points },
  trailing_space_share: { what: 'share of messages ending with whitespace', amount: points },
  lowercase_share: { what: 'share of all-lower-case messages', amount: points },
  capitalised_start_share: { what: 'share of sentences starting with a capital letter', amount: points },
  punctuation_rate: { what: 'share of punctuation among its non-space characters', amount: points },
  emoji_rate: { what: 'emoji per message', amount: fixed(2) },
  link_rate: { what: 'links per message', amount: fixed(2) },
  exact_repeat_share: { what: 'share of messages repeating an earlier one word for word', amount: points },
  near_repeat_mean: { what: 'word overlap with its own recent messages', amount: points },
  echo_similarity: { what: "word overlap with the other speaker's latest message", amount: points },
  median_delay_ms: { what: 'median reply delay', amount: ms },
  delay_cv: { what: 'variation in reply delay (coefficient of variation)', amount: fixed(2) },
  fast_reply_share: { what: 'share of replies faster than a person reads and types', amount: points },
  typing_speed_cps: { what: 'typing speed', amount: fixed(1, ' characters per second') },
};

/**
 * One readable sentence for a partner-contrast signal: what differs between the target and its partner, by how
 * much, and which way it points. A signal compared as a log ratio is told as a ratio, `exp(value)`, with the one
 * added to each side said out loud ("The target writes 2.0× as many words per message as "u" (counting one extra
 * word per message on each side), which points toward bot."); a difference is told in the signal's own unit.
 *
 * @param signal - the style signal the contrast was measured on
 * @param ratio - whether the value is a log ratio `log(1 + target's) - log(1 + partner's)` rather than a difference
 * @param value - the contrast, target against partner
 * @param partner - the partner's speaker name
 * @param contribution - the signal's pull on the score, in log-odds (its sign picks "toward bot" or "toward human")
 */
export function contrastSentence(
  signal: StyleFeatureName,
  ratio: boolean,
  value: number,
  partner: string,
  contribution: number,
): string {
  const w = WORDING[signal];
  const toward = `which points ${contribution >= 0 ? 'toward bot' : 'toward human'}`;
  if (ratio) {
    const r = Math.exp(value).toPrecision(2);
    if (w.ratio === undefined) {
      return `The target's ${w.what} is ${r}× "${partner}"'s (each side counted with one added), ${toward}.`;
    }
    return `The target ${w.ratio.verb} ${r}× as many ${w.what} as "${partner}" (counting one extra ${w.ratio.thing} per message on each side), ${toward}.`;
  }
  if (value === 0) return `The target's ${w.what} is the same as "${partner}"'s, ${toward}.`;
  return `The target's ${w.what} is ${w.amount(Math.abs(value))} ${value > 0 ? 'higher' : 'lower'} than "${partner}"'s, ${toward}.`;
}

/**
 * One readable sentence for a target's own value of a style signal (partner-contrast's `targetSignals`): what it
 * is and which way it points ("The target's own word overlap with its own recent messages is 35%, which points
 * toward bot.").
 *
 * @param signal - the style signal
 * @param value - the target's value
 * @param contribution - its pull on the score, in log-odds (its sign picks "toward bot" or "toward human")
 */
export function ownSignalSentence(signal: StyleFeatureName, value: number, contribution: number): string {
  const w = WORDING[signal];
  const amount = w.amount === points ? `${Math.round(value * 100)}%` : w.amount(value);
  return `The target's own ${w.what} is ${amount}, whatever its partner does, which points ${contribution >= 0 ? 'toward bot' : 'toward human'}.`;
}
