import { grown } from './grown.js';
import type { MessageScan } from './message-scan.js';

/**
 * What one transcript has measured of each distinct message text, so that a text sent again (bots loop: the
 * same greeting, the same question) is looked up instead of scanned again. Within one transcript a text's
 * word ids never change (the word table only grows), so its scan and its distinct-word set are the same each
 * time it is seen. Scans are stored in typed rows rather than as objects: one object per distinct message
 * would be garbage for every transcript.
 */
export class ScanCache {
  /** Text -> entry number. */
  private readonly entries = new TextTable();
  /** Per entry, Col.FIELDS numbers: the scan's counts when `hasScan`, and where its distinct-word set lies. */
  private rows: Int32Array = new Int32Array(Col.FIELDS * 64);
  /** The distinct-word sets of every entry, back to back. */
  private pool: Int32Array = new Int32Array(512);
  private poolUsed = 0;

  /**
   * Whether texts are kept. Off, {@link ScanCache.add} keeps nothing and returns -1, and every method taking an
   * entry accepts -1 (no history). Keeping a text that never comes again costs about a fifth of measuring it
   * (on the long ConvAI dev transcripts, which rarely repeat, caching every text made detect() 15-20% slower), so
   * the accumulator turns the cache on only once the transcript has repeated a message.
   */
  enabled = false;

  /** Forgets every text, keeping the memory, and turns the cache off. */
  clear(): void {
    this.entries.clear();
    this.poolUsed = 0;
    this.enabled = false;
  }

  /** The entry of `text`, or -1 when it has not been seen. */
  find(text: string): number {
    // (`=== true`: V8 does not track that a field holds a boolean, and tests a field's truth as it would any
    // value's, about 10 instructions; `=== true` is one comparison. Twice per target message.)
    return this.enabled === true ? this.entries.find(text) : -1;
  }

  /**
   * Makes room for a distinct-word set of up to `n` ids at the end of {@link ScanCache.sets} and returns where
   * it starts: write the set there, then {@link ScanCache.add} the text. -1 when the cache is off.
   */
  reserve(n: number): number {
    if (!this.enabled) return -1;
    if (this.poolUsed + n > this.pool.length) this.pool = grown(this.pool, this.poolUsed + n);
    return this.poolUsed;
  }

  /**
   * Adds `text`, whose distinct-word set of `size` ids the caller wrote where {@link ScanCache.reserve} said;
   * returns the new entry (its scan is not stored yet: see {@link ScanCache.storeScan}).
   */
  add(text: string, size: number): number {
    const e = this.entries.add(text);
    if (Col.FIELDS * (e + 1) > this.rows.length) this.rows = grown(this.rows, Col.FIELDS * (e + 1));
    const r = Col.FIELDS * e;
    this.rows[r + Col.SET_START] = this.poolUsed;
    this.rows[r + Col.SET_SIZE] = size;
    this.rows[r + Col.HAS_SCAN] = 0;
    this.rows[r + Col.HISTORY] = -1;
    this.poolUsed += size;
    return e;
  }

  /**
   * The distinct-word sets of every entry, back to back: entry `e`'s is `sets[setStart(e), + setSize(e))`. A
   * new array after the pool grows (the old one keeps its contents): read it after {@link ScanCache.reserve}.
   */
  get sets(): Int32Array {
    return this.pool;
  }

  /** Where entry `e`'s distinct-word set starts in {@link ScanCache.sets}. */
  setStart(e: number): number {
    return this.rows[Col.FIELDS * e + Col.SET_START]!;
  }

  /** Size of entry `e`'s distinct-word set. */
  setSize(e: number): number {
    return this.rows[Col.FIELDS * e + Col.SET_SIZE]!;
  }

  /** The near-repeat history number of entry `e`'s text when the target last sent it; -1 before. */
  historyOf(e: number): number {
    return e < 0 ? -1 : this.rows[Col.FIELDS * e + Col.HISTORY]!;
  }

  /** Notes that the target's message with entry `e`'s text became near-repeat history message `m`. */
  setHistory(e: number, m: number): void {
    if (e >= 0) this.rows[Col.FIELDS * e + Col.HISTORY] = m;
  }

  /** Whether entry `e` holds a whole scan (its text was a target message), not only its words. */
  hasScan(e: number): boolean {
    return this.rows[Col.FIELDS * e + Col.HAS_SCAN] === 1;
  }

  /** Stores the counts of `s` (a scan of entry `e`'s text) in entry `e`. */
  storeScan(e: number, s: MessageScan): void {
    if (e < 0) return;
    const row = this.rows;
    const r = Col.FIELDS * e;
    row[r + Col.HAS_SCAN] = 1;
    row[r + Col.BLANK] = s.blank ? 1 : 0;
    row[r + Col.WORD_COUNT] = s.wordCount;
    row[r + Col.EMOJI] = s.emoji;
    row[r + Col.LINKS] = s.links;
    row[r + Col.QUESTIONS] = s.questions;
    row[r + Col.PUNCTUATION] = s.punctuation;
    row[r + Col.NON_SPACE] = s.nonSpace;
    row[r + Col.END_PUNCTUATION] = s.endPunctuation ? 1 : 0;
    row[r + Col.TOKENIZER_SPACING] = s.tokenizerSpacing ? 1 : 0;
    row[r + Col.TRAILING_SPACE] = s.trailingSpace ? 1 : 0;
    row[r + Col.LOWERCASE] = s.lowercase;
    row[r + Col.SENTENCES] = s.sentences;
    row[r + Col.CASED_SENTENCES] = s.casedSentences;
    row[r + Col.CAPITALISED_STARTS] = s.capitalisedStarts;
  }

  /** Writes entry `e`'s stored counts back into `s` (all but its word ids, which the cache does not keep). */
  loadScan(e: number, s: MessageScan): void {
    const row = this.rows;
    const r = Col.FIELDS * e;
    s.blank = row[r + Col.BLANK] === 1;
    s.wordCount = row[r + Col.WORD_COUNT]!;
    s.emoji = row[r + Col.EMOJI]!;
    s.links = row[r + Col.LINKS]!;
    s.questions = row[r + Col.QUESTIONS]!;
    s.punctuation = row[r + Col.PUNCTUATION]!;
    s.nonSpace = row[r + Col.NON_SPACE]!;
    s.endPunctuation = row[r + Col.END_PUNCTUATION] === 1;
    s.tokenizerSpacing = row[r + Col.TOKENIZER_SPACING] === 1;
    s.trailingSpace = row[r + Col.TRAILING_SPACE] === 1;
    s.lowercase = row[r + Col.LOWERCASE]!;
    s.sentences = row[r + Col.SENTENCES]!;
    s.casedSentences = row[r + Col.CASED_SENTENCES]!;
    s.capitalisedStarts = row[r + Col.CAPITALISED_STARTS]!;
  }
}

/**
 * The columns of a row. An enum rather than module-level consts: esbuild (which tsx, tsup and vitest compile with)
 * writes each member's value where it is used, where V8 would read a const from the module's context and check
 * it at every use (a dozen times per stored or loaded scan). Cachegrind, per detect() on the ISO bench
 * transcript: 864.3K -> 843.0K instructions (commit a64a002).
 */
enum Col {
  SET_START = 0,
  SET_SIZE = 1,
  HAS_SCAN = 2,
  BLANK = 3,
  WORD_COUNT = 4,
  EMOJI = 5,
  LINKS = 6,
  QUESTIONS = 7,
  PUNCTUATION = 8,
  NON_SPACE = 9,
  END_PUNCTUATION = 10,
  TOKENIZER_SPACING = 11,
  TRAILING_SPACE = 12,
  LOWERCASE = 13,
  SENTENCES = 14,
  CASED_SENTENCES = 15,
  CAPITALISED_STARTS = 16,
  HISTORY = 17,
  /** Numbers per row. */
  FIELDS = 18,
}

/** Entries probed before a lookup gives up (see {@link TextTable}). */
const MAX_PROBES = 8;

/**
 * Text -> entry number (0, 1, 2, ... in the order added), written by hand because a `Map` keyed by string
 * allocates its storage again for each transcript (it made ConvAI transcripts, of 10 to 20 messages, 20%
 * slower) and hashes every character of each text. This table reuses its slots, and its hash samples the
 * length and five characters; texts that share the sample are told apart by `===`. So that texts built to
 * share one sample cannot make lookups slow, a lookup compares at most {@link MAX_PROBES} texts: a text
 * beyond that is not indexed, and is measured each time it comes (the same result, only slower).
 */
class TextTable {
  private readonly texts: string[] = [];
  private count = 0;
  /** Entry number + 1 per slot; 0 = empty. */
  private slots = new Int32Array(256);
  /**
   * The text the latest {@link TextTable.find} did not find, and the empty slot where its probe ended (-1 when
   * it gave up): {@link TextTable.add} of that text, next, takes the slot without hashing and probing again.
   */
  private missText: string | undefined;
  private missSlot = -1;

  /** Forgets every text (and lets go of them), keeping the memory. */
  clear(): void {
    this.missText = undefined;
    if (this.count === 0) return;
    this.texts.fill('', 0, this.count);
    this.slots.fill(0);
    this.count = 0;
  }

  /** The entry of `text`, or -1. */
  find(text: string): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = sampleHash(text) & mask;
    this.missText = text;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const v = slots[i]!;
      if (v === 0) {
        this.missSlot = i;
        return -1;
      }
      if (this.texts[v - 1] === text) {
        this.missText = undefined;
        return v - 1;
      }
      i = (i + 1) & mask;
    }
    this.missSlot = -1;
    return -1;
  }

  /** Adds `text` (not in the table) as the next entry, and returns that entry. */
  add(text: string): number {
    const e = this.count++;
    if (e === this.texts.length) this.texts.push(text);
    else this.texts[e] = text;
    if (2 * this.count > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2);
      for (let k = 0; k < this.count; k++) this.index(k);
    } else if (text === this.missText) {
      // Just looked up and not found: the slot its probe ended at is still empty (nothing was added since).
      if (this.missSlot >= 0) this.slots[this.missSlot] = e + 1;
    } else {
      this.index(e);
    }
    this.missText = undefined;
    return e;
  }

  /** Puts entry `e` in a free slot near its hash (or leaves it out: see {@link MAX_PROBES}). */
  private index(e: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = sampleHash(this.texts[e]!) & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      if (slots[i] === 0) {
        slots[i] = e + 1;
        return;
      }
      i = (i + 1) & mask;
    }
  }
}

/**
 * A hash of the length and five characters of `text` (past the end of a short text, NaN counts as 0). The
 * samples are multiplied by different odd constants independently and summed, then mixed once: a short chain
 * of dependent multiplications, where hashing them one after another made a chain of six.
 */
function sampleHash(text: string): number {
  const n = text.length;
  const h =
    (Math.imul(n ^ (text.charCodeAt(0) << 16), 0x9e3779b1) +
      Math.imul(text.charCodeAt(n >> 2) | 0, 0x85ebca6b) +
      Math.imul(text.charCodeAt(n >> 1) | 0, 0xc2b2ae35) +
      Math.imul(text.charCodeAt(n - 1 - (n >> 2)) | 0, 0x27d4eb2f) +
      Math.imul(text.charCodeAt(n - 1) | 0, 0x165667b1)) |
    0;
  const m = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return m ^ (m >>> 15);
}
