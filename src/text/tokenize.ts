/**
 * Word tokenization for the lexical-diversity measures: language-aware word segmentation (`Intl.Segmenter`, so
 * Chinese, Japanese and Thai text without spaces is split into words too), lower-cased, with each emoji kept
 * as a token of its own and punctuation dropped.
 */

/** A pictograph, optionally with a variation selector / skin tone, joined by ZWJ; or a flag (two regional indicators). */
const EMOJI =
  /\p{Regional_Indicator}{2}|\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?(?:\u200D\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?)*/gu;

let segmenter: Intl.Segmenter | undefined;

function wordSegmenter(): Intl.Segmenter {
  // Created once: constructing a segmenter loads ICU break-iterator data.
  segmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
  return segmenter;
}

/**
 * Splits `text` into lower-cased word tokens. Words come from `Intl.Segmenter` word boundaries (`don't`,
 * `12.5` and `l’été` stay whole); every emoji (a ZWJ sequence or a flag counts once) becomes its own token;
 * punctuation, symbols other than emoji, and whitespace are dropped. Never throws; `''` gives `[]`.
 *
 * @param text - any text
 * @returns the tokens in order
 *
 * @example
 * ```ts
 * wordTokens("lol no way 😂 that's crazy!"); // ['lol', 'no', 'way', '😂', "that's", 'crazy']
 * ```
 */
export function wordTokens(text: string): string[] {
  const out: string[] = [];
  for (const seg of wordSegmenter().segment(text)) {
    if (seg.isWordLike) {
      out.push(seg.segment.toLowerCase());
      continue;
    }
    EMOJI.lastIndex = 0;
    for (const m of seg.segment.matchAll(EMOJI)) out.push(m[0]);
  }
  return out;
}

/**
 * The n-grams of `tokens`, each joined with a space (U+0020 never occurs inside a token).
 *
 * @param tokens - word tokens, e.g. from {@link wordTokens}
 * @param n - the n-gram length, a positive integer
 * @returns `tokens.length - n + 1` n-grams, or `[]` when there are fewer than `n` tokens
 *
 * @example
 * ```ts
 * ngrams(['a', 'b', 'c'], 2); // ['a b', 'b c']
 * ```
 */
export function ngrams(tokens: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  return out;
}
