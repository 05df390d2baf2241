import { grown } from './grown.js';
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
import { packHi, packLo, SHORT_WORD, type WordTable } from './word-table.js';

/**
 * What the style features need from one message, measured in one pass. ASCII text (almost all chat) takes a
 * single hand-written scan that fuses what the helpers of text-utils.ts measure one by one; any other text
 * takes those helpers themselves. The two paths agree exactly (test/fast-paths.test.ts checks them against
 * each other on generated text; test/heuristic-equality.test.ts checks the detector's scores against the
 * starting implementation's).
 */
export class MessageScan {
  /** The text is empty or whitespace only. */
  blank = true;
  /** Word ids in order (with repeats); the first `wordCount` entries are valid. */
  ids: Int32Array;
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
  /** Scratch of the ASCII scan: the class flags of every word character, OR-ed. */
  wordFlags = 0;
  /** Scratch of the ASCII scan: apostrophes inside words. */
  innerApostrophes = 0;
  /** Scratch of the ASCII scan: a tokenizer's `do n't` was seen inside a word. */
  spacedNegation = false;

  /**
   * @param ids - the word buffer to scan into (a new one of 32 entries when left out; `ScanCache.keepScan`
   *   hands the spare it makes the buffer of the scan it keeps, so that it allocates none)
   */
  constructor(ids?: Int32Array) {
    this.ids = ids ?? new Int32Array(32);
  }

  /**
   * Empties the word list and makes room for every word of a text of `n` code units: each word takes a code
   * unit and is followed by another that is not in it (or by the end), so there are at most `ceil(n / 2)`.
   */
  reserveWords(n: number): void {
    this.wordCount = 0;
    const most = (n + 1) >> 1;
    if (this.ids.length < most) this.ids = new Int32Array(Math.max(most, 2 * this.ids.length));
  }

  /** Appends a word id, growing the buffer when needed. */
  pushId(id: number): void {
    if (this.wordCount === this.ids.length) this.ids = grown(this.ids, this.wordCount + 1);
    this.ids[this.wordCount++] = id;
  }
}

/**
 * Character classes of the ASCII range, as bit flags. PUNCT is taken from the same \p{P} regex the slow path
 * uses, so the two cannot disagree. An enum rather than module-level consts: esbuild (which tsx, tsup and vitest
 * compile with) writes an enum member's value where it is used, while V8 reads a module-level const from the
 * module's context and checks it at every use, in the scan's per-character loops too.
 */
enum Cls {
  SPACE = 1,
  PUNCT = 2,
  UPPER = 4,
  LOWER = 8,
  DIGIT = 16,
  TERMINAL = 32,
  /** Not ASCII: the scan hands the text to the reference definitions. */
  NON_ASCII = 64,
  ALNUM = UPPER | LOWER | DIGIT,
  LETTER = UPPER | LOWER,
}
/**
 * Flags of every UTF-16 code unit (64 KiB, of which chat touches the first 128 bytes): one table read tells a
 * word character, a space, punctuation and a unit the ASCII scan does not handle, with no range check first.
 */
const CLASS = new Uint8Array(0x10000).fill(Cls.NON_ASCII);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let f = 0;
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) f |= Cls.SPACE;
  if (/\p{P}/u.test(ch)) f |= Cls.PUNCT;
  if (c >= 0x41 && c <= 0x5a) f |= Cls.UPPER;
  if (c >= 0x61 && c <= 0x7a) f |= Cls.LOWER;
  if (c >= 0x30 && c <= 0x39) f |= Cls.DIGIT;
  if (c === 0x2e || c === 0x21 || c === 0x3f) f |= Cls.TERMINAL;
  CLASS[c] = f;
}

/** Code units the scan tests for by value (an enum for the reason given at {@link Cls}). */
enum Unit {
  /** U+2019, the curly apostrophe: a word's inner apostrophe as `'` is, and punctuation. */
  CURLY_APOSTROPHE = 0x2019,
}

const PICTOGRAPH = /^\p{Extended_Pictographic}$/u;
/** What a pictograph must not be for the scan to count it as a lone emoji and nothing else. */
const NOT_LONE = /^[\p{L}\p{N}\p{M}\p{P}\p{Emoji_Modifier}\p{Regional_Indicator}]$/u;
/**
 * Astral code point -> whether {@link loneEmojiAt} accepts it, asked of the regexes once per code point (and
 * each time beyond the first LONE_EMOJI_KEPT code points, so that text made of many keeps memory bounded).
 */
const LONE_EMOJI = new Map<number, boolean>();
const LONE_EMOJI_KEPT = 4096;

/**
 * Whether `text[i, i + 2)` is a surrogate pair holding an emoji that every measure sees as one uncased symbol:
 * an Extended_Pictographic code point that is no letter, digit, mark, punctuation, skin-tone modifier or
 * regional indicator. Next to ASCII it counts as one emoji, one non-space character, ends a word and is in
 * no word; the variation selector, the joiner and modifiers are not accepted (the scan then hands the text to
 * the reference definitions), so each such pictograph is exactly one match of the emoji pattern.
 */
function loneEmojiAt(text: string, i: number): boolean {
  const hi = text.charCodeAt(i);
  const lo = text.charCodeAt(i + 1);
  if (!(hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff)) return false;
  const cp = (hi - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
  let lone = LONE_EMOJI.get(cp);
  if (lone === undefined) {
    const ch = String.fromCodePoint(cp);
    lone = PICTOGRAPH.test(ch) && !NOT_LONE.test(ch) && ch.toLowerCase() === ch.toUpperCase();
    if (LONE_EMOJI.size < LONE_EMOJI_KEPT) LONE_EMOJI.set(cp, lone);
  }
  return lone;
}

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
  if (!scanAscii(text, table, out)) scanReference(text, table, out);
}

/**
 * Measures ASCII `text`, in which it also handles the curly apostrophe and lone emoji (see {@link loneEmojiAt}),
 * the non-ASCII characters of most chat; returns false (having changed nothing but `out.wordCount`) at any
 * other non-ASCII unit.
 */
function scanAscii(text: string, table: WordTable, out: MessageScan): boolean {
  // The table in a local: a module-level const is read from the module's context and checked at every use,
  // which in the per-character loops of the three scans cost 1% of detect().
  const classes = CLASS;
  const n = text.length;
  out.reserveWords(n);
  let nonSpace = 0;
  let punct = 0;
  let questions = 0;
  let emoji = 0;
  out.wordFlags = 0;
  out.innerApostrophes = 0;
  out.spacedNegation = false;
  let tok = false;
  let linkHint = false;
  // sentenceStats state
  // (Every sentence the ASCII scan counts starts with an ASCII letter, which has case: the cased sentences are
  // the sentences, one counter fewer in the loop.)
  let sentences = 0;
  let capitalised = 0;
  let atStart = true;
  let afterTerminal = false;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const f = classes[c]!;
    if ((f & Cls.ALNUM) !== 0) {
      const end = scanWord(text, i, table, out);
      // Nothing in a word ends a sentence; its first letter may start one.
      afterTerminal = false;
      if (atStart) {
        let k = i;
        while (k < end && (classes[text.charCodeAt(k)]! & Cls.LETTER) === 0) k++;
        if (k < end) {
          sentences++;
          if ((classes[text.charCodeAt(k)]! & Cls.UPPER) !== 0) capitalised++;
          atStart = false;
        }
      }
      nonSpace += end - i;
      i = end;
      continue;
    }
    if ((f & Cls.NON_ASCII) !== 0) {
      // Punctuation outside a word (inside one, scanWord took it), as `'` is.
      if (c === Unit.CURLY_APOSTROPHE) {
        nonSpace++;
        punct++;
        afterTerminal = false;
        if (!tok && tokenizerSpacingAt(text, i, c)) tok = true;
        i++;
        continue;
      }
      if (!loneEmojiAt(text, i)) return false;
      nonSpace++;
      emoji++;
      afterTerminal = false;
      i += 2;
      continue;
    }
    if ((f & Cls.SPACE) !== 0) {
      // Sentences end at a line break, or at a space after terminal punctuation.
      if (afterTerminal || c === 0x0a || c === 0x0d) atStart = true;
      afterTerminal = false;
    } else {
      nonSpace++;
      afterTerminal = (f & Cls.TERMINAL) !== 0;
      if ((f & Cls.PUNCT) !== 0) {
        punct++;
        if (c === 0x3f && text.charCodeAt(i - 1) !== 0x3f) questions++;
        if (c === 0x3a) linkHint ||= text.charCodeAt(i + 1) === 0x2f && text.charCodeAt(i + 2) === 0x2f;
        else if (c === 0x2e) linkHint ||= afterWww(text, i);
        if (!tok && tokenizerSpacingAt(text, i, c)) tok = true;
      }
    }
    i++;
  }

  out.blank = nonSpace === 0;
  out.nonSpace = nonSpace;
  out.punctuation = punct + out.innerApostrophes;
  out.questions = questions;
  out.emoji = emoji; // no ASCII character is a pictograph or a regional indicator
  out.links = linkHint ? countLinks(text) : 0;
  out.tokenizerSpacing = tok || out.spacedNegation;
  out.trailingSpace = n > 0 && (classes[text.charCodeAt(n - 1)]! & Cls.SPACE) !== 0;
  // End punctuation: terminal, then closing quotes/brackets, then spaces and emoji, to the end. The only
  // surrogates left in the text are those of lone emoji.
  let j = n - 1;
  for (;;) {
    if (j >= 0 && (classes[text.charCodeAt(j)]! & Cls.SPACE) !== 0) j--;
    else if (j >= 1 && (text.charCodeAt(j) & 0xfc00) === 0xdc00) j -= 2;
    else break;
  }
  for (
    let c = text.charCodeAt(j);
    c === 0x22 || c === 0x27 || c === 0x29 || c === 0x5d || c === Unit.CURLY_APOSTROPHE;
  )
    c = text.charCodeAt(--j);
  out.endPunctuation = j >= 0 && (classes[text.charCodeAt(j)]! & Cls.TERMINAL) !== 0;
  const seen = out.wordFlags;
  out.lowercase = (seen & Cls.UPPER) !== 0 ? 0 : (seen & Cls.LOWER) !== 0 ? 1 : -1;
  out.sentences = sentences;
  out.casedSentences = sentences;
  out.capitalisedStarts = capitalised;
  return true;
}

/**
 * Interns the ASCII word that starts at `start` (a letter or digit): a run of a-z, A-Z and 0-9, lower-cased,
 * with inner apostrophes, as words() of text-utils.ts finds it. Adds its id to `out`, ORs its characters'
 * classes into `out.wordFlags`, counts its apostrophes into `out.innerApostrophes` and notes a tokenizer's
 * `do n't` in `out.spacedNegation`. An inner apostrophe may be the curly one. Returns where the word ends.
 *
 * A word with an inner apostrophe is handed to {@link scanApostropheWord}, which reads it again: this function
 * stays small enough (with the word table's lookup, which it inlines) for V8 to inline it into the scans, and a
 * call per word cost more than the second reading of the few words with apostrophes.
 */
function scanWord(text: string, start: number, table: WordTable, out: MessageScan): number {
  const classes = CLASS;
  const n = text.length;
  // (`| 0` types the index as a small integer for V8: from the parameter alone the loop kept it tagged and
  // checked it at every character, 0.6% of detect().)
  let i = start | 0;
  let c = text.charCodeAt(i);
  let f = classes[c]!;
  let flags = 0;
  // The codes so far, packed (exact for the first SHORT_WORD).
  let lo = 0;
  let hi = 0;
  for (;;) {
    flags |= f;
    // Bit 0x20 is set in every lower-cased letter and digit: OR-ing it in lower-cases. (packHi and packLo of
    // word-table.ts, written out: V8 checks at each call of a module-level function that the binding still
    // holds it; with the apostrophe as an enum, 0.3% of detect()'s instructions.)
    hi = (hi << 7) | (lo >>> 21);
    lo = ((lo << 7) & 0xfffffff) | (c | 0x20);
    if (++i === n) break;
    c = text.charCodeAt(i);
    f = classes[c]!;
    if ((f & Cls.ALNUM) === 0) break;
  }
  if ((c === 0x27 || c === Unit.CURLY_APOSTROPHE) && (cls(text.charCodeAt(i + 1)) & Cls.ALNUM) !== 0) {
    return scanApostropheWord(text, start, table, out);
  }
  out.wordFlags |= flags;
  // No check for room: reserveWords made room for every word the text can hold.
  out.ids[out.wordCount++] =
    i - start <= SHORT_WORD ? table.idOfShort(lo, hi) : table.idOfRange(text, start, i);
  return i;
}

/**
 * {@link scanWord} for a word with inner apostrophes (which may be curly): also counts them into
 * `out.innerApostrophes` and notes a tokenizer's `do n't` in `out.spacedNegation`.
 */
function scanApostropheWord(text: string, start: number, table: WordTable, out: MessageScan): number {
  const n = text.length;
  let i = start;
  let c = text.charCodeAt(i);
  let f = CLASS[c]!;
  let flags = 0;
  // The codes so far, packed (exact for the first SHORT_WORD).
  let lo = 0;
  let hi = 0;
  /** A curly apostrophe is in the word: no packed key. */
  let curly = false;
  for (;;) {
    flags |= f;
    // Bit 0x20 is set in every lower-cased letter and digit: OR-ing it in lower-cases. (The apostrophe below is
    // packed as it is, without the OR.) This cold path calls word-table.ts's packHi/packLo rather than writing
    // them out as scanWord does: few words have an apostrophe, so the check V8 makes at each call is rarely paid.
    hi = packHi(lo, hi);
    lo = packLo(lo, c | 0x20);
    if (++i === n) break;
    c = text.charCodeAt(i);
    f = CLASS[c]!;
    if ((f & Cls.ALNUM) !== 0) continue;
    if ((c !== 0x27 && c !== Unit.CURLY_APOSTROPHE) || (cls(text.charCodeAt(i + 1)) & Cls.ALNUM) === 0) break;
    // An inner apostrophe: part of the word, punctuation, and maybe the ' of a tokenizer's "do n't".
    out.innerApostrophes++;
    if (!out.spacedNegation) out.spacedNegation = spacedNegationAt(text, i);
    curly ||= c === Unit.CURLY_APOSTROPHE;
    hi = packHi(lo, hi);
    lo = packLo(lo, c);
    c = text.charCodeAt(++i);
    f = CLASS[c]!;
  }
  out.wordFlags |= flags;
  // No check for room: reserveWords made room for every word the text can hold.
  out.ids[out.wordCount++] = curly
    ? table.idOfMixed(text, start, i)
    : i - start <= SHORT_WORD
      ? table.idOfShort(lo, hi)
      : table.idOfRange(text, start, i);
  return i;
}

/**
 * Interns the words of `text` into `out` (its `ids` and `wordCount`, nothing else): all that the other
 * speaker's messages are read for.
 *
 * @param text - one message
 * @param table - word ids shared by every message of the transcript
 * @param out - reused between messages
 */
export function scanWords(text: string, table: WordTable, out: MessageScan): void {
  const classes = CLASS;
  const n = text.length;
  out.reserveWords(n);
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    const f = classes[c]!;
    if ((f & Cls.ALNUM) !== 0) i = scanWord(text, i, table, out);
    else if ((f & Cls.NON_ASCII) === 0 || c === Unit.CURLY_APOSTROPHE) i++;
    else if (loneEmojiAt(text, i)) i += 2;
    else {
      // Other non-ASCII text: the reference definition.
      out.wordCount = 0;
      for (const w of words(text)) out.pushId(table.idOf(w));
      return;
    }
  }
}

/** Whether the `.` at `i` follows `www` (any case): a link, for `countLinks` to count. */
function afterWww(text: string, i: number): boolean {
  return (
    i >= 3 &&
    (text.charCodeAt(i - 1) | 0x20) === 0x77 &&
    (text.charCodeAt(i - 2) | 0x20) === 0x77 &&
    (text.charCodeAt(i - 3) | 0x20) === 0x77
  );
}

/**
 * Whether TOKENIZER_SPACING of text-utils.ts matches around the ASCII punctuation `c` at `i` that is not inside a
 * word: `\s[,.?!;:](?=\s|$)` with `c` the punctuation, or `\p{L} '\p{L}` and `\p{L}' \p{L}` with `c` the
 * apostrophe. (The fourth alternative, `\p{L} n't\b`, has its apostrophe inside a word: see
 * {@link spacedNegationAt}.) Every match of the pattern in ASCII text has one of these characters, so checking
 * each of them finds a match when there is one.
 */
function tokenizerSpacingAt(text: string, i: number, c: number): boolean {
  if (c === 0x27 || c === Unit.CURLY_APOSTROPHE) {
    const before = text.charCodeAt(i - 1);
    const next = text.charCodeAt(i + 1);
    if (before === 0x20)
      return (cls(text.charCodeAt(i - 2)) & Cls.LETTER) !== 0 && (cls(next) & Cls.LETTER) !== 0;
    return (
      next === 0x20 && (cls(before) & Cls.LETTER) !== 0 && (cls(text.charCodeAt(i + 2)) & Cls.LETTER) !== 0
    );
  }
  if (c === 0x2c || c === 0x2e || c === 0x3f || c === 0x21 || c === 0x3b || c === 0x3a) {
    return (
      (cls(text.charCodeAt(i - 1)) & Cls.SPACE) !== 0 &&
      (i + 1 === text.length || (cls(text.charCodeAt(i + 1)) & Cls.SPACE) !== 0)
    );
  }
  return false;
}

/** Whether the inner apostrophe at `i` is that of `\p{L} n't\b` (a tokenizer's `do n't`), ASCII text. */
function spacedNegationAt(text: string, i: number): boolean {
  if (text.charCodeAt(i - 1) !== 0x6e || text.charCodeAt(i - 2) !== 0x20 || text.charCodeAt(i + 1) !== 0x74)
    return false;
  const after = text.charCodeAt(i + 2);
  return (cls(text.charCodeAt(i - 3)) & Cls.LETTER) !== 0 && (cls(after) & Cls.ALNUM) === 0 && after !== 0x5f;
}

/**
 * Measures any text with the text-utils helpers (the reference definitions): what {@link scanMessage} does for
 * non-ASCII text, and what its ASCII scan must agree with.
 *
 * @internal
 */
export function scanReference(text: string, table: WordTable, out: MessageScan): void {
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
