import { grown } from './grown.js';
import { MessageScan } from './message-scan.js';

/**
 * What one transcript has measured of each distinct message text, so that a text sent again (bots loop: the
 * same greeting, the same question) is looked up instead of scanned again. Within one transcript a text's
 * word ids never change (the word table only grows), so its scan and its distinct-word set are the same each
 * time it is seen. A target text's scan is kept as the object it was scanned into (the caller scans the next
 * text into a spare: nothing is copied either way; copying a scan's fields into a typed row and back cost
 * about 190 instructions per repeated message), and the objects stay with the cache from one transcript to the
 * next, reused by entry number: no garbage per transcript, and at most one object per distinct text of the
 * longest transcript so far, up to {@link MAX_KEPT_SCANS} between transcripts (a transcript with more distinct
 * texts makes the rest anew).
 */
export class ScanCache {
  /** Text -> entry number. */
  private readonly entries = new TextTable();
  /** Per entry, Col.FIELDS numbers: whether it has a scan, where its distinct-word set lies, its history. */
  private rows: Int32Array = new Int32Array(Col.FIELDS * 64);
  /**
   * Entry -> the scan of its text when `hasScan` (else an earlier transcript's, or nothing): objects reused
   * across transcripts, each holding no word ids (see {@link ScanCache.keepScan}).
   */
  private readonly scans: MessageScan[] = [];
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

  /**
   * Forgets every text, keeping the memory (but for scan objects beyond the first {@link MAX_KEPT_SCANS}), and
   * turns the cache off.
   */
  clear(): void {
    this.entries.clear();
    if (this.scans.length > MAX_KEPT_SCANS) this.scans.length = MAX_KEPT_SCANS;
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
   * returns the new entry (its scan is not kept yet: see {@link ScanCache.keepScan}).
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

  /**
   * Keeps `s`, a scan of entry `e`'s text (its counts: the words are the entry's set), as entry `e`'s, and
   * returns the object to scan the next text into: the one entry `e` held for an earlier transcript, or a new
   * one, with the word buffer of `s` (a kept scan needs no word ids; so no buffer is held per entry).
   */
  keepScan(e: number, s: MessageScan): MessageScan {
    this.rows[Col.FIELDS * e + Col.HAS_SCAN] = 1;
    const kept = this.scans[e];
    const spare = kept ?? new MessageScan(s.ids);
    this.scans[e] = s;
    if (kept) spare.ids = s.ids;
    s.ids = NO_IDS;
    return spare;
  }

  /** The scan kept for entry `e` (see {@link ScanCache.hasScan}): read it, never change it. */
  scanOf(e: number): MessageScan {
    return this.scans[e]!;
  }
}

/**
 * Scan objects the cache keeps from one transcript to the next (see {@link ScanCache.clear}). Each is a JS object
 * of some 100 bytes, so a detector that once read a transcript of 200,000 distinct texts would otherwise hold about
 * 20 MB for the rest of its life; 4096 covers every transcript the default limits (200 messages) accept many
 * times over.
 */
const MAX_KEPT_SCANS = 4096;

/** The word buffer of a kept scan (see {@link ScanCache.keepScan}). */
const NO_IDS = new Int32Array(0);

/**
 * The columns of a row. An enum rather than module-level consts: esbuild (which tsx, tsup and vitest compile with)
 * writes each member's value where it is used, where V8 would read a const from the module's context and check
 * it at every use. Cachegrind, per detect() on the ISO bench transcript, when rows also held the scans' counts:
 * 864.3K -> 843.0K instructions (commit a64a002).
 */
enum Col {
  SET_START = 0,
  SET_SIZE = 1,
  HAS_SCAN = 2,
  HISTORY = 3,
  /** Numbers per row. */
  FIELDS = 4,
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
