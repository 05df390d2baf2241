/**
 * Small Unicode-aware text helpers behind the style features. Every pattern uses property escapes so that
 * accented, combining-mark, RTL and CJK text is handled like ASCII text, and none of them throws on `''`.
 */

/**
 * One emoji: a pictograph with an optional variation selector / skin-tone modifier, joined by ZWJ into one
 * sequence (so a family emoji counts once), or a pair of regional indicators (a flag).
 */
const EMOJI = /\p{Regional_Indicator}{2}|\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?(?:\u200D\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?)*/gu;

/** A word: letters, digits and combining marks, with inner apostrophes (`don't`, `l’été`). */
const WORD = /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu;

/** A link: an http(s) URL or a bare `www.` address. */
const LINK = /\bhttps?:\/\/\S+|\bwww\.[^\s.]+\.\S+/giu;

/** A run of question marks (ASCII, full-width, Arabic, Greek question mark is `;` and is left out on purpose). */
const QUESTION = /[?？؟]+/gu;

/**
 * Spacing left by a word tokenizer: a space before punctuation (`hello .`, `fine ,`), or around an apostrophe
 * inside a word (`i 'm`, `I' m`, `do n't`).
 */
const TOKENIZER_SPACING = /\s[,.?!;:](?=\s|$)|\p{L} ['’]\p{L}|\p{L}['’] \p{L}|\p{L} n['’]t\b/u;

/** One Unicode punctuation character. */
const PUNCT = /\p{P}/gu;

/** A non-whitespace character. */
const NON_SPACE = /\S/gu;

/** Sentence boundaries: terminal punctuation followed by space, or a line break. */
const SENTENCE_SPLIT = /[.!?…。！？؟]+(?:\s+|$)|\n+/u;

/** The first letter of a string. */
const FIRST_LETTER = /\p{L}/u;

/** Ends with terminal punctuation, optionally followed by closing quotes/brackets, emoji or spaces. */
const END_PUNCT = /[.!?…。！？؟]["'’”)\]]*[\s\p{Extended_Pictographic}\uFE0F]*$/u;

/** Ends with whitespace. */
const TRAILING_SPACE = /\s$/u;

/** Counts the emoji in `text` (a ZWJ sequence or a flag counts as one). */
export function countEmoji(text: string): number {
  return countMatches(text, EMOJI);
}

/** Counts the links in `text`. */
export function countLinks(text: string): number {
  return countMatches(text, LINK);
}

/** Counts the questions in `text` (runs of `?`, `？` or `؟`; `??` counts once). */
export function countQuestions(text: string): number {
  return countMatches(text, QUESTION);
}

/** Counts punctuation characters (Unicode `P` category). */
export function countPunctuation(text: string): number {
  return countMatches(text, PUNCT);
}

/** Counts non-whitespace characters. */
export function countNonSpace(text: string): number {
  return countMatches(text, NON_SPACE);
}

/** The lower-cased words of `text`. */
export function words(text: string): string[] {
  const m = text.toLowerCase().match(WORD);
  return m ?? [];
}

/** True when `text` has spacing typical of tokenized (machine-generated) text. */
export function hasTokenizerSpacing(text: string): boolean {
  return TOKENIZER_SPACING.test(text);
}

/** True when `text` ends with whitespace. */
export function hasTrailingSpace(text: string): boolean {
  return TRAILING_SPACE.test(text);
}

/** True when `text` ends a sentence with terminal punctuation. */
export function hasEndPunctuation(text: string): boolean {
  return END_PUNCT.test(text);
}

/**
 * Whether the cased letters of `text` are all lower case: `true`/`false`, or `null` when it has no cased
 * letter (digits only, emoji only, or a script without case such as Arabic, Hebrew or Chinese).
 */
export function lowercaseState(text: string): boolean | null {
  const lower = text.toLowerCase();
  const upper = text.toUpperCase();
  if (lower === upper) return null;
  return lower === text;
}

/**
 * The sentences of `text` that contain a letter, each reduced to whether its first letter is upper case
 * (`true`), lower case (`false`) or uncased (`null`).
 */
export function sentenceStarts(text: string): (boolean | null)[] {
  const out: (boolean | null)[] = [];
  for (const s of text.split(SENTENCE_SPLIT)) {
    const m = FIRST_LETTER.exec(s);
    if (!m) continue;
    const c = m[0];
    const up = c.toUpperCase();
    const low = c.toLowerCase();
    out.push(up === low ? null : c === up);
  }
  return out;
}

/** Jaccard similarity |a ∩ b| / |a ∪ b| of two word sets; 0 when both are empty. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let inter = 0;
  for (const w of small) if (large.has(w)) inter++;
  return inter / (a.size + b.size - inter);
}

/** Median of a non-empty array (the array is sorted in place). */
export function median(xs: number[]): number {
  xs.sort((p, q) => p - q);
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** Coefficient of variation (population standard deviation / mean) of `xs`; 0 when the mean is 0. */
export function coefficientOfVariation(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  if (mean === 0) return 0;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return Math.sqrt(ss / xs.length) / mean;
}

function countMatches(text: string, re: RegExp): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text) !== null) n++;
  return n;
}
