/**
 * Interning tables for the heuristic's word statistics, written by hand because the built-in `Map` needs a
 * string per word: slicing and hashing a fresh string for each of the ~1,500 words of a 200-message transcript
 * was a third of the detector's time. Here a word is hashed while it is scanned and looked up straight from
 * the message text.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The hash state before the first character. */
export const HASH_START = FNV_OFFSET | 0;

/** The hash state after one more character code (FNV-1a, 32 bits). */
export function hashStep(h: number, c: number): number {
  return Math.imul(h ^ c, FNV_PRIME);
}

/** An open-addressing table's slot array, grown when half full. */
class Slots {
  /** Entry number + 1, or 0 for an empty slot. */
  slots = new Int32Array(256);
  mask = 255;
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

/**
 * Word -> small integer id. Words are lower-cased; ids count up from 0 in first-seen order.
 */
export class WordTable {
  private readonly words: string[] = [];
  private hashes = new Int32Array(256);
  private readonly table = new Slots();

  /** Forgets every word (ids start again from 0), keeping the memory. */
  clear(): void {
    this.words.length = 0;
    this.table.clear();
  }

  /** The word with id `id`. */
  wordOf(id: number): string {
    return this.words[id]!;
  }

  /** How many distinct words have an id. */
  get size(): number {
    return this.words.length;
  }

  /**
   * The id of the ASCII word `text[start, end)`, lower-cased, whose hash (of the lower-cased codes, from
   * {@link HASH_START} by {@link hashStep}) is `h`.
   */
  idOfRange(text: string, start: number, end: number, h: number): number {
    const t = this.table;
    const n = end - start;
    let i = h & t.mask;
    for (;;) {
      const v = t.slots[i]!;
      if (v === 0) break;
      const id = v - 1;
      if (this.hashes[id] === h) {
        const w = this.words[id]!;
        if (w.length === n && (text.startsWith(w, start) || sameLowered(text, start, w))) return id;
      }
      i = (i + 1) & t.mask;
    }
    return this.add(text.slice(start, end).toLowerCase(), h, i);
  }

  /** The id of a word already lower-cased. */
  idOf(word: string): number {
    let h = HASH_START;
    for (let k = 0; k < word.length; k++) h = hashStep(h, word.charCodeAt(k));
    const t = this.table;
    let i = h & t.mask;
    for (;;) {
      const v = t.slots[i]!;
      if (v === 0) break;
      if (this.hashes[v - 1] === h && this.words[v - 1] === word) return v - 1;
      i = (i + 1) & t.mask;
    }
    return this.add(word, h, i);
  }

  private add(word: string, h: number, slot: number): number {
    const id = this.words.length;
    this.words.push(word);
    if (id === this.hashes.length) {
      const grown = new Int32Array(id * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[id] = h;
    const t = this.table;
    t.slots[slot] = id + 1;
    if (++t.used * 2 > t.slots.length) t.grow((e) => this.hashes[e]!);
    return id;
  }
}

/** True when `text` from `start`, lower-cased, begins with `w`. */
function sameLowered(text: string, start: number, w: string): boolean {
  for (let k = 0; k < w.length; k++)
    if (lowerAscii(text.charCodeAt(start + k)) !== w.charCodeAt(k)) return false;
  return true;
}

/** `c` lower-cased when it is an ASCII capital. */
function lowerAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/**
 * A set of integer sequences (a message's word ids in order), for exact-repetition checks without building
 * a string key per message.
 */
export class SequenceSet {
  private pool = new Int32Array(1024);
  private poolUsed = 0;
  private starts: number[] = [];
  private lengths: number[] = [];
  private hashes: number[] = [];
  private readonly table = new Slots();

  /** Empties the set, keeping the memory. */
  clear(): void {
    this.poolUsed = 0;
    this.starts.length = 0;
    this.lengths.length = 0;
    this.hashes.length = 0;
    this.table.clear();
  }

  /** Adds `seq[0, n)`; returns true when it was already in the set. */
  has(seq: Int32Array, n: number): boolean {
    let h = HASH_START;
    for (let k = 0; k < n; k++) h = hashStep(h, seq[k]!);
    const t = this.table;
    let i = h & t.mask;
    for (;;) {
      const v = t.slots[i]!;
      if (v === 0) break;
      const e = v - 1;
      if (this.hashes[e] === h && this.lengths[e] === n) {
        const s = this.starts[e]!;
        let k = 0;
        while (k < n && this.pool[s + k] === seq[k]) k++;
        if (k === n) return true;
      }
      i = (i + 1) & t.mask;
    }
    if (this.poolUsed + n > this.pool.length) {
      const grown = new Int32Array(Math.max(this.pool.length * 2, this.poolUsed + n));
      grown.set(this.pool);
      this.pool = grown;
    }
    this.pool.set(seq.subarray(0, n), this.poolUsed);
    const e = this.starts.length;
    this.starts.push(this.poolUsed);
    this.lengths.push(n);
    this.hashes.push(h);
    this.poolUsed += n;
    t.slots[i] = e + 1;
    if (++t.used * 2 > t.slots.length) t.grow((x) => this.hashes[x]!);
    return false;
  }
}
