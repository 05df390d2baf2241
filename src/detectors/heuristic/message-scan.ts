import {
  countEmoji,
  countLinks,
  countNonSpace,
  countPunctuation,
  countQuestions,
  hasEndPunctuation,
  hasTokenizerSpacing,
  hasTrailingSpace,
  lowercaseState,
  sentenceStats,
  words,
} from './text-utils.js';
import { HASH_START, hashStep, type WordTable } from './word-table.js';

/**
 * What the style features need from one message, measured in one pass. ASCII text (almost all chat) takes a
 * single hand-written scan that fuses what the helpers of text-utils.ts measure one by one; any other text
 * takes those helpers themselves. The two paths agree exactly (test/message-scan.test.ts checks them against
 * each other on generated text).
 */
export class MessageScan {
  /** The text is empty or whitespace only. */
  blank = true;
  /** Word ids in order (with repeats); the first `wordCount` entries are valid. */
  ids = new Int32Array(32);
  /** Number of words. */
  wordCount = 0;
  emoji = 0;
  links = 0;
  questions = 0;
  punctuation = 0;
  nonSpace = 0;
  endPunctuation = false;
  tokenizerSpacing = false;
  trailingSpace = false;
  /** `lowercaseState`: 1 all lower case, 0 some upper case, -1 no cased letter. */
  lowercase = -1;
  sentences = 0;
  casedSentences = 0;
  capitalisedStarts = 0;

  /** Appends a word id, growing the buffer when needed. */
  pushId(id: number): void {
    if (this.wordCount === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.wordCount++] = id;
  }
}

// Character classes of the ASCII range, as bit flags. PUNCT is taken from the same \p{P} regex the slow path
// uses, so the two cannot disagree.
const SPACE = 1;
const PUNCT = 2;
const UPPER = 4;
const LOWER = 8;
const DIGIT = 16;
const TERMINAL = 32;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let f = 0;
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) f |= SPACE;
  if (/\p{P}/u.test(ch)) f |= PUNCT;
  if (c >= 0x41 && c <= 0x5a) f |= UPPER;
  if (c >= 0x61 && c <= 0x7a) f |= LOWER;
  if (c >= 0x30 && c <= 0x39) f |= DIGIT;
  if (c === 0x2e || c === 0x21 || c === 0x3f) f |= TERMINAL;
  CLASS[c] = f;
}
const ALNUM = UPPER | LOWER | DIGIT;
const LETTER = UPPER | LOWER;

/** Class flags of code unit `c`; 0 past the end of the text (NaN). */
function cls(c: number): number {
  return c < 128 ? CLASS[c]! : 0;
}

/**
 * Measures `text` into `out`, interning its words in `table`.
 *
 * @param text - one message
 * @param table - word ids shared by every message of the transcript
 * @param out - reused between messages
 */
export function scanMessage(text: string, table: WordTable, out: MessageScan): void {
  if (!scanAscii(text, table, out)) scanUnicode(text, table, out);
}

/** Measures ASCII `text`; returns false (having changed nothing but `out.wordCount`) at the first non-ASCII unit. */
function scanAscii(text: string, table: WordTable, out: MessageScan): boolean {
  const n = text.length;
  out.wordCount = 0;
  let nonSpace = 0;
  let punct = 0;
  let questions = 0;
  let sawLower = false;
  let sawUpper = false;
  let tok = false;
  let linkHint = false;
  let wRun = 0;
  // sentenceStats state
  let sentences = 0;
  let cased = 0;
  let capitalised = 0;
  let atStart = true;
  let afterTerminal = false;
  // word state
  let wStart = -1;
  let h = HASH_START;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return false;
    const f = CLASS[c]!;
    if (f === LOWER) {
      // The common case, a lower-case letter, in straight-line code: it continues or starts a word, counts as
      // non-space, and may start a sentence.
      nonSpace++;
      sawLower = true;
      wRun = c === 0x77 ? wRun + 1 : 0;
      if (wStart < 0) {
        wStart = i;
        h = HASH_START;
      }
      h = hashStep(h, c);
      afterTerminal = false;
      if (atStart) {
        sentences++;
        cased++;
        atStart = false;
      }
      prev = c;
      continue;
    }
    if (f & SPACE) {
      if (!tok) tok = tokenizerSpacingAt(text, i, c);
    } else nonSpace++;
    if (f & PUNCT) {
      punct++;
      if (c === 0x3f && prev !== 0x3f) questions++;
      else if (c === 0x3a && text.charCodeAt(i + 1) === 0x2f && text.charCodeAt(i + 2) === 0x2f)
        linkHint = true;
      else if (c === 0x2e && wRun >= 3) linkHint = true;
    }
    wRun = c === 0x77 || c === 0x57 ? wRun + 1 : 0;
    if (f & UPPER) sawUpper = true;
    else if (f & LOWER) sawLower = true;

    // Words: a-z0-9 runs (lower-cased) with inner apostrophes, as words() finds them.
    if (f & ALNUM) {
      if (wStart < 0) {
        wStart = i;
        h = HASH_START;
      }
      h = hashStep(h, f & UPPER ? c | 0x20 : c);
    } else if (c === 0x27 && wStart >= 0 && cls(text.charCodeAt(i + 1)) & ALNUM) {
      h = hashStep(h, c);
    } else if (wStart >= 0) {
      out.pushId(table.idOfRange(text, wStart, i, h));
      wStart = -1;
    }

    // Sentences, as sentenceStats() counts them.
    if (c === 0x0a || c === 0x0d) {
      atStart = true;
      afterTerminal = false;
    } else if (f & TERMINAL) {
      afterTerminal = true;
    } else {
      let skip = false;
      if (afterTerminal) {
        afterTerminal = false;
        if (f & SPACE) {
          atStart = true;
          skip = true;
        }
      }
      if (!skip && atStart && f & LETTER) {
        sentences++;
        cased++;
        if (f & UPPER) capitalised++;
        atStart = false;
      }
    }
    prev = c;
  }
  if (wStart >= 0) out.pushId(table.idOfRange(text, wStart, n, h));

  out.blank = nonSpace === 0;
  out.nonSpace = nonSpace;
  out.punctuation = punct;
  out.questions = questions;
  out.emoji = 0; // no ASCII character is a pictograph or a regional indicator
  out.links = linkHint ? countLinks(text) : 0;
  out.tokenizerSpacing = tok;
  out.trailingSpace = n > 0 && (CLASS[text.charCodeAt(n - 1)]! & SPACE) !== 0;
  // End punctuation: terminal, then closing quotes/brackets, then spaces, to the end.
  let j = n - 1;
  while (j >= 0 && CLASS[text.charCodeAt(j)]! & SPACE) j--;
  for (let c = text.charCodeAt(j); c === 0x22 || c === 0x27 || c === 0x29 || c === 0x5d; )
    c = text.charCodeAt(--j);
  out.endPunctuation = j >= 0 && (CLASS[text.charCodeAt(j)]! & TERMINAL) !== 0;
  out.lowercase = sawUpper ? 0 : sawLower ? 1 : -1;
  out.sentences = sentences;
  out.casedSentences = cased;
  out.capitalisedStarts = capitalised;
  return true;
}

/**
 * Whether TOKENIZER_SPACING of text-utils.ts matches at or around the whitespace `c` at `i` (ASCII text):
 * `\s[,.?!;:](?=\s|$)` starting at `i`, or, for a space, `\p{L} ['’]\p{L}`, `\p{L} n['’]t\b` with the space at
 * `i` and `\p{L}['’] \p{L}` with the space at `i`.
 */
function tokenizerSpacingAt(text: string, i: number, c: number): boolean {
  const next = text.charCodeAt(i + 1);
  if (
    (next === 0x2c || next === 0x2e || next === 0x3f || next === 0x21 || next === 0x3b || next === 0x3a) &&
    (i + 2 === text.length || cls(text.charCodeAt(i + 2)) & SPACE)
  ) {
    return true;
  }
  if (c !== 0x20 || i === 0) return false;
  const before = cls(text.charCodeAt(i - 1));
  if (before & LETTER) {
    if (next === 0x27 && cls(text.charCodeAt(i + 2)) & LETTER) return true;
    if (next === 0x6e && text.charCodeAt(i + 2) === 0x27 && text.charCodeAt(i + 3) === 0x74) {
      const after = text.charCodeAt(i + 4);
      if (!(cls(after) & ALNUM) && after !== 0x5f) return true;
    }
  }
  return (
    text.charCodeAt(i - 1) === 0x27 &&
    i >= 2 &&
    (cls(text.charCodeAt(i - 2)) & LETTER) !== 0 &&
    (cls(next) & LETTER) !== 0
  );
}

/** Measures any text with the text-utils helpers (the reference definitions). */
function scanUnicode(text: string, table: WordTable, out: MessageScan): void {
  out.wordCount = 0;
  for (const w of words(text)) out.pushId(table.idOf(w));
  out.blank = text.trim() === '';
  out.emoji = countEmoji(text);
  out.links = countLinks(text);
  out.questions = countQuestions(text);
  out.punctuation = countPunctuation(text);
  out.nonSpace = countNonSpace(text);
  out.endPunctuation = hasEndPunctuation(text);
  out.tokenizerSpacing = hasTokenizerSpacing(text);
  out.trailingSpace = hasTrailingSpace(text);
  const low = lowercaseState(text);
  out.lowercase = low === null ? -1 : low ? 1 : 0;
  const s = sentenceStats(text);
  out.sentences = s.sentences;
  out.casedSentences = s.cased;
  out.capitalisedStarts = s.capitalised;
}
