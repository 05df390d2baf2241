/**
 * Small Unicode-aware text helpers behind the style features. Every pattern uses property escapes so that
 * accented, combining-mark, RTL and CJK text is handled like ASCII text, and none of them throws on `''`.
 */

/**
 * One emoji: a pictograph with an optional variation selector / skin-tone modifier, joined by ZWJ into one
 * sequence (so a family emoji counts once), or a pair of regional indicators (a flag).
 */
const EMOJI =
  /\p{Regional_Indicator}{2}|\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?(?:\u200D\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?)*/gu;

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

/** One Unicode punctuation character (one code point). */
const PUNCT = /^\p{P}$/u;

/** One letter. */
const LETTER = /^\p{L}$/u;

/** Ends with terminal punctuation, optionally followed by closing quotes/brackets, emoji or spaces. */
const END_PUNCT = /[.!?…。！？؟]["'’”)\]]*(?:\s|\p{Extended_Pictographic}|\uFE0F)*$/u;

/** Ends with whitespace. */
const TRAILING_SPACE = /\s$/u;

/** Counts the emoji in `text` (a ZWJ sequence or a flag counts as one). */
export function countEmoji(text: string): number {
  return countMatches(text, EMOJI);
}

/** Counts the links in `text`. */
export function countLinks(text: string): number {
  // Cheap pre-check: most messages hold neither "://" nor "www", and the regex is the slow path.
  if (!text.includes('://') && !/www\./i.test(text)) return 0;
  return countMatches(text, LINK);
}

/** Counts the questions in `text` (runs of `?`, `？` or `؟`; `??` counts once). */
export function countQuestions(text: string): number {
  return countMatches(text, QUESTION);
}

/** Per BMP code unit: 0 not yet known, 1 punctuation, 2 not (filled from the `\p{P}` regex as met). */
const PUNCT_BMP = new Uint8Array(0x10000);

/**
 * Counts punctuation characters (Unicode `P` category), as `/\p{P}/gu` counts them: code point by code point
 * (a surrogate pair is one), each classified by that regex once and remembered.
 */
export function countPunctuation(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // An astral code point: rare enough to ask the regex each time.
        if (isPunct(text.slice(i, i + 2))) n++;
        i++;
        continue;
      }
    }
    let k = PUNCT_BMP[c]!;
    if (k === 0) {
      k = isPunct(String.fromCharCode(c)) ? 1 : 2;
      PUNCT_BMP[c] = k;
    }
    if (k === 1) n++;
  }
  return n;
}

function isPunct(ch: string): boolean {
  return PUNCT.test(ch);
}

/** Counts non-whitespace code points (a plain loop: several times faster than a regex here). */
export function countNonSpace(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A low surrogate completes a pair already counted.
    if (!isSpace(c) && !(c >= 0xdc00 && c <= 0xdfff)) n++;
  }
  return n;
}

/** True for the code units `\s` matches in JavaScript. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * The lower-cased words of `text`. ASCII text takes a hand-written scanner (about a third faster than the
 * Unicode regex, and this runs on every message); any other text takes the regex.
 */
export function words(text: string): string[] {
  const s = text.toLowerCase();
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return s.match(WORD) ?? [];
    if (isAsciiAlnum(c)) {
      if (start < 0) start = i;
    } else if (!(c === 0x27 && start >= 0 && isAsciiAlnum(s.charCodeAt(i + 1)))) {
      if (start >= 0) out.push(s.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

/** a-z or 0-9 (the text is lower-cased first); false for NaN (past the end). */
function isAsciiAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}

/** True when `text` has spacing typical of tokenized (machine-generated) text. */
export function hasTokenizerSpacing(text: string): boolean {
  // Every match holds an apostrophe, or whitespace before one of , . ? ! ; : — without either, the regex (which
  // tries every position) cannot match.
  let candidate = false;
  for (let i = 0; i < text.length && !candidate; i++) {
    const c = text.charCodeAt(i);
    candidate = c === 0x27 || c === 0x2019 || (isSpace(c) && isSpacedPunctuation(text.charCodeAt(i + 1)));
  }
  return candidate && TOKENIZER_SPACING.test(text);
}

/** , . ? ! ; : (the punctuation a tokenizer spaces off). */
function isSpacedPunctuation(c: number): boolean {
  return c === 0x2c || c === 0x2e || c === 0x3f || c === 0x21 || c === 0x3b || c === 0x3a;
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

/** Sentence counts of one message, from {@link sentenceStats}. */
export interface SentenceStats {
  /** Sentences holding a letter. */
  sentences: number;
  /** Sentences whose first letter has case. */
  cased: number;
  /** Sentences whose first letter is upper case. */
  capitalised: number;
}

/** Terminal punctuation: . ! ? … and the CJK and Arabic forms. */
function isTerminal(c: number): boolean {
  return (
    c === 0x2e ||
    c === 0x21 ||
    c === 0x3f ||
    c === 0x2026 ||
    c === 0x3002 ||
    c === 0xff01 ||
    c === 0xff1f ||
    c === 0x61f
  );
}

/**
 * Counts the sentences of `text` and how they start. A sentence ends at terminal punctuation followed by
 * whitespace (or the end), or at a line break; one counts when it holds a letter, and its first letter decides
 * whether it starts with a capital. A single pass (this runs on every message, so no split or regex per piece).
 */
export function sentenceStats(text: string): SentenceStats {
  let sentences = 0;
  let cased = 0;
  let capitalised = 0;
  let atStart = true;
  let afterTerminal = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      atStart = true;
      afterTerminal = false;
      continue;
    }
    if (isTerminal(c)) {
      afterTerminal = true;
      continue;
    }
    if (afterTerminal) {
      afterTerminal = false;
      if (isSpace(c)) {
        atStart = true;
        continue;
      }
    }
    if (!atStart) continue;
    if (c < 0x80) {
      if (c >= 0x41 && c <= 0x5a) capitalised++;
      else if (!(c >= 0x61 && c <= 0x7a)) continue;
      sentences++;
      cased++;
      atStart = false;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (cp > 0xffff) i++;
    if (!LETTER.test(ch)) continue;
    sentences++;
    atStart = false;
    const up = ch.toUpperCase();
    if (up === ch.toLowerCase()) continue;
    cased++;
    if (ch === up) capitalised++;
  }
  return { sentences, cased, capitalised };
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
