/**
 * Interning tables for the heuristic's word statistics, written by hand because the built-in `Map` needs a
 * string per word: slicing and hashing a fresh string for each of the ~1,500 words of a 200-message transcript
 * was a third of the detector's time. Here a word is hashed while it is scanned and looked up straight from
 * the message text.
 */

import { grown } from './grown.js';

/**
 * FNV-1a (32 bits). An enum rather than module-level consts: esbuild (which tsx, tsup and vitest compile with)
 * writes each member's value where it is used, where V8 reads a const from the module's context at every use,
 * and could not tell that the prime is a small integer (each step converted it through a double). Cachegrind,
 * per detect() on the ISO bench transcript, this enum and the pool locals of `SequenceSet.has` together:
 * 838.4K -> 834.7K instructions (commit a64a002).
 */
enum Fnv {
  OFFSET = 0x811c9dc5,
  PRIME = 0x01000193,
  /** The hash state before the first character. */
  START = OFFSET | 0,
}

/** The hash state after one more character code (FNV-1a, 32 bits). */
function hashStep(h: number, c: number): number {
  return Math.imul(h ^ c, Fnv.PRIME);
}

/** An open-addressing table's slot array, grown when half full. */
class Slots {
  /** Entry number + 1, or 0 for an empty slot. */
  slots = new Int32Array(64);
  mask = 63;
  used = 0;

  /** Empties the table, keeping its size. */
  clear(): void {
    if (this.used > 0) this.slots.fill(0);
    this.used = 0;
  }

  /** Rehashes every entry into a table twice the size. */
  grow(hashOf: (entry: number) => number): void {
    const size = this.slots.length * 2;
    const next = new Int32Array(size);
    const mask = size - 1;
    for (const v of this.slots) {
      if (v === 0) continue;
      let i = hashOf(v - 1) & mask;
      while (next[i] !== 0) i = (i + 1) & mask;
      next[i] = v;
    }
    this.slots = next;
    this.mask = mask;
  }
}

/** Longest word kept as an exact key: 8 codes of 7 bits, 4 in each of two 28-bit halves. */
export const SHORT_WORD = 8;

/** `(lo, hi)`, the packed codes of a word so far, with code `c` (1 to 127) appended: see {@link WordTable.idOfShort}. */
export function packLo(lo: number, c: number): number {
  return ((lo << 7) & 0xfffffff) | c;
}

/** The `hi` half after appending a code to `(lo, hi)` (read `lo` before {@link packLo} changes it). */
export function packHi(lo: number, hi: number): number {
  return (hi << 7) | (lo >>> 21);
}

/**
 * Word -> small integer id. Words are lower-cased; ids count up from 0 in first-seen order. A word of ASCII
 * letters, digits and apostrophes of up to {@link SHORT_WORD} characters (most words) is its own key: its
 * codes, 7 bits each, packed into two integers, so a lookup compares two numbers and reads no text. Longer
 * and non-ASCII words are hashed, and compared character by character with the word stored under the hash.
 * A long or non-ASCII word's characters are kept, back to back in one array, for those comparisons; a short
 * word needs none (its key is its characters).
 */
export class WordTable {
  /** Short words, per slot: [lo, hi, id + 1]; id + 1 = 0 marks an empty slot. */
  private short: Int32Array = new Int32Array(3 * 128);
  private shortMask = 127;
  private shortCount = 0;
  /** Other words, per slot: [hash, id + 1]. */
  private slots: Int32Array = new Int32Array(128);
  private mask = 63;
  private longCount = 0;
  private count = 0;
  /** The characters of every word, back to back. */
  private chars = new Uint16Array(256);
  private charsUsed = 0;
  /** Word id -> [start in `chars`, length] for a long word; [lo, ~hi] (its key, unread) for a short one. */
  private spans = new Int32Array(128);

  /** Forgets every word (ids start again from 0), keeping the memory. */
  clear(): void {
    if (this.shortCount > 0) this.short.fill(0);
    if (this.longCount > 0) this.slots.fill(0);
    this.shortCount = 0;
    this.longCount = 0;
    this.count = 0;
    this.charsUsed = 0;
  }

  /** How many distinct words have an id. */
  get size(): number {
    return this.count;
  }

  /**
   * The id of an ASCII word of at most {@link SHORT_WORD} letters, digits and apostrophes, lower-cased, whose
   * codes (each OR 0x20, which lower-cases these characters) packed by {@link packLo} and {@link packHi} from
   * (0, 0) are `(lo, hi)`. Codes are never 0, so the packing of words up to 8 long is one-to-one: the key is
   * the word, and nothing else of it is kept.
   */
  idOfShort(lo: number, hi: number): number {
    const t = this.short;
    const mask = this.shortMask;
    let i = shortSlot(lo, hi, mask);
    for (;;) {
      const v = t[3 * i + 2]!;
      if (v === 0) break;
      if (t[3 * i] === lo && t[3 * i + 1] === hi) return v - 1;
      i = (i + 1) & mask;
    }
    // Nothing reads a short word's span (its key, [lo, ~hi]), but the write stays: without it this method is
    // small enough that V8 inlines the scan's word loop differently, and detect() on ConvAI dev ran 12-17%
    // slower (side by side, after the 200-message bench transcripts; those gained 2-5%). Before removing it,
    // measure with `npm run bench -- heuristic` (its ConvAI dev row).
    const id = this.newSpan(lo, ~hi);
    t[3 * i] = lo;
    t[3 * i + 1] = hi;
    t[3 * i + 2] = id + 1;
    if (++this.shortCount * 2 > mask + 1) {
      this.short = rehashed(t, 3, (u, at, m) => shortSlot(u[at]!, u[at + 1]!, m));
      this.shortMask = 2 * mask + 1;
    }
    return id;
  }

  /**
   * The id of the ASCII word `text[start, end)` (letters, digits and apostrophes, any length), lower-cased:
   * every such character has bit 0x20 set once lower-cased, so `c | 0x20` lower-cases it.
   */
  idOfRange(text: string, start: number, end: number): number {
    const n = end - start;
    if (n <= SHORT_WORD) {
      let lo = 0;
      let hi = 0;
      for (let k = start; k < end; k++) {
        const c = text.charCodeAt(k) | 0x20;
        hi = packHi(lo, hi);
        lo = packLo(lo, c);
      }
      return this.idOfShort(lo, hi);
    }
    return this.longId(text, start, end, 0x20);
  }

  /** The id of a word already lower-cased (any characters, compared exactly). */
  idOf(word: string): number {
    const n = word.length;
    let ascii = n <= SHORT_WORD;
    for (let k = 0; k < n && ascii; k++) ascii = word.charCodeAt(k) < 0x80;
    // A lower-cased ASCII word is what the ASCII scan finds: the same lookup gives the same id.
    if (ascii) return this.idOfRange(word, 0, n);
    return this.longId(word, 0, n, 0);
  }

  /**
   * The id of the word `text[start, end)` of ASCII letters, digits and apostrophes with `’` (U+2019) apostrophes
   * too, lower-cased (what the scan of text with curly apostrophes finds).
   */
  idOfMixed(text: string, start: number, end: number): number {
    return this.longId(text, start, end, 0x20);
  }

  /**
   * The id of `text[start, end)` in the table of long and non-ASCII words, each ASCII code OR `fold` (0x20
   * lower-cases an ASCII word's letters; 0 keeps a lower-cased word as it is).
   */
  private longId(text: string, start: number, end: number, fold: number): number {
    const n = end - start;
    let h = Fnv.START;
    for (let k = start; k < end; k++) h = hashStep(h, foldAscii(text.charCodeAt(k), fold));
    const slots = this.slots;
    let i = h & this.mask;
    for (;;) {
      const v = slots[2 * i + 1]!;
      if (v === 0) break;
      if (slots[2 * i] === h && this.spans[2 * v - 1] === n) {
        const chars = this.chars;
        const at = this.spans[2 * v - 2]! - start;
        let k = start;
        while (k < end && foldAscii(text.charCodeAt(k), fold) === chars[at + k]) k++;
        if (k === end) return v - 1;
      }
      i = (i + 1) & this.mask;
    }
    const id = this.newId(text, start, end);
    slots[2 * i] = h;
    slots[2 * i + 1] = id + 1;
    if (++this.longCount * 2 > this.mask + 1) {
      this.slots = rehashed(slots, 2, (t, at, mask) => t[at]! & mask);
      this.mask = 2 * this.mask + 1;
    }
    return id;
  }

  /** A new id for `text[start, end)`, whose characters (OR 0x20 when ASCII) it stores. */
  private newId(text: string, start: number, end: number): number {
    const n = end - start;
    if (this.charsUsed + n > this.chars.length) {
      this.chars = grown(this.chars, this.charsUsed + n);
    }
    const at = this.charsUsed;
    this.charsUsed += n;
    for (let k = 0; k < n; k++) {
      this.chars[at + k] = foldAscii(text.charCodeAt(start + k), 0x20);
    }
    return this.newSpan(at, n);
  }

  /** A new id whose span is `[a, b]`. */
  private newSpan(a: number, b: number): number {
    const id = this.count++;
    if (2 * id + 2 > this.spans.length) this.spans = grown(this.spans, 2 * id + 2);
    this.spans[2 * id] = a;
    this.spans[2 * id + 1] = b;
    return id;
  }
}

/** `c | fold` for an ASCII code, `c` for any other. */
function foldAscii(c: number, fold: number): number {
  return c < 0x80 ? c | fold : c;
}

/**
 * An open-addressing table of entries of `width` numbers (the last one id + 1, 0 when the slot is empty) rehashed
 * into one twice the size, each entry's home slot given by `home(table, entry start, mask)`.
 */
function rehashed(
  slots: Int32Array,
  width: number,
  home: (t: Int32Array, at: number, mask: number) => number,
): Int32Array {
  const count = slots.length / width;
  const next = new Int32Array(2 * slots.length);
  const mask = 2 * count - 1;
  for (let s = 0; s < count; s++) {
    const at = width * s;
    if (slots[at + width - 1] === 0) continue;
    let i = home(slots, at, mask);
    while (next[width * i + width - 1] !== 0) i = (i + 1) & mask;
    // (Copied number by number: a `subarray` per entry allocated a view each, most of a stream's regrowth.)
    for (let w = 0; w < width; w++) next[width * i + w] = slots[at + w]!;
  }
  return next;
}

/** The home slot of a short word's key in a table of `mask + 1` slots. */
function shortSlot(lo: number, hi: number, mask: number): number {
  const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  return (h ^ (h >>> 15)) & mask;
}

/**
 * A set of integer sequences (a message's word ids in order), for exact-repetition checks without building
 * a string key per message.
 */
export class SequenceSet {
  private pool = new Int32Array(128);
  private poolUsed = 0;
  /** Per sequence: [start in `pool`, length, hash] (typed and kept across `clear()`: no regrowth per transcript). */
  private meta = new Int32Array(3 * 32);
  private count = 0;
  private readonly table = new Slots();

  /** Empties the set, keeping the memory. */
  clear(): void {
    this.poolUsed = 0;
    this.count = 0;
    this.table.clear();
  }

  /** Adds `seq[0, n)`; returns true when it was already in the set. */
  has(seq: Int32Array, n: number): boolean {
    let h = Fnv.START;
    for (let k = 0; k < n; k++) h = hashStep(h, seq[k]!);
    const t = this.table;
    const meta = this.meta;
    let i = h & t.mask;
    for (;;) {
      const v = t.slots[i]!;
      if (v === 0) break;
      const e = 3 * (v - 1);
      if (meta[e + 2] === h && meta[e + 1] === n) {
        const s = meta[e]!;
        let k = 0;
        while (k < n && this.pool[s + k] === seq[k]) k++;
        if (k === n) return true;
      }
      i = (i + 1) & t.mask;
    }
    if (this.poolUsed + n > this.pool.length) {
      this.pool = grown(this.pool, this.poolUsed + n);
    }
    // A loop, not set(subarray()): no view object per message. (The pool and its end in locals: read as fields,
    // V8 read and checked them again for every id. With the Fnv enum: 838.4K -> 834.7K instructions per detect()
    // on the ISO bench transcript, cachegrind, commit a64a002.)
    const pool = this.pool;
    const at = this.poolUsed;
    for (let k = 0; k < n; k++) pool[at + k] = seq[k]!;
    const e = this.count++;
    if (3 * this.count > this.meta.length) {
      this.meta = grown(this.meta, 3 * this.count);
    }
    this.meta[3 * e] = this.poolUsed;
    this.meta[3 * e + 1] = n;
    this.meta[3 * e + 2] = h;
    this.poolUsed += n;
    t.slots[i] = e + 1;
    if (++t.used * 2 > t.slots.length) t.grow((x) => this.meta[3 * x + 2]!);
    return false;
  }
}
