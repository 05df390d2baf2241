import type { SparseVector } from '../ann/vector-math.js';

/** Resolved `HashingEmbedderOptions` (every field set). @internal */
export interface Resolved {
  dim: number;
  wordNgramMax: number;
  charNgramMin: number;
  charNgramMax: number;
  lowercase: boolean;
  wordWeight: number;
  charWeight: number;
}

/**
 * Told of each bucket whose value changed in one `add`: `block` 0 = word n-grams, 1 = character n-grams; the
 * bucket's signed sublinear sum `before` and `after` the add (unnormalized), and the other block's value at
 * that bucket at that moment (the word block settles first, so the character block's value is still the old
 * one when a word bucket is reported). Lets a caller keep dot products with the running vector up to date in
 * the cost of the changed buckets. @internal
 */
export type BucketChange = (
  block: 0 | 1,
  bucket: number,
  before: number,
  after: number,
  other: number,
) => void;

/** Longest token (in UTF-16 code units) whose character n-grams are taken; longer ones (URLs, spam) are cut. */
const MAX_CHAR_TOKEN = 40;

// Word tokens: runs of letters/digits/apostrophes, or single punctuation/symbol characters (emoji included).
const WORD_RE = /[\p{L}\p{N}_']+|[^\s\p{L}\p{N}_']/gu;

// Seeds that keep the three feature families apart in the shared hash space.
const SEED_WORD = 0x811c9dc5;
const SEED_CHAR = 0x01000193 ^ 0x5bd1e995;
const SEED_BIGRAM = 0x27d4eb2f;

/*
 * FNV-1a (32-bit) over UTF-16 code units, followed by the murmur3 finalizer (fmix32) so that the low bits
 * (the bucket) and the top bit (the sign) are well mixed. Written by hand rather than taken from npm: it is ten
 * lines, needs no native code, and the exact function must never change under us, because fitted state is only
 * valid for the hash that produced it.
 */
function fnv1a(s: string, start: number, end: number, seed: number): number {
  let h = seed >>> 0;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Counts below this read `log1p` and its steps from tables (computed once by the same expressions: the same doubles). */
const TABLED = 4096;
const LOG1P = Float64Array.from({ length: TABLED }, (_, c) => Math.log1p(c));
const STEP = Float64Array.from({ length: TABLED }, (_, c) => Math.log1p(c + 1) - Math.log1p(c));

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `Block.flags` bits: the cell changed since the last settle; the bucket has a non-empty chain (touched). */
const DIRTY = 1;
const TOUCHED = 2;

/** First capacity of a compact block's per-cell arrays (doubled as buckets are touched). */
const FIRST_CELLS = 256;

/**
 * One block of hashed features (word or character n-grams): a count per raw hash, each raw hash chained to its
 * bucket in first-occurrence order, and per bucket the signed sublinear sum `sum ±log1p(count)`, recomputed
 * only for buckets whose counts changed. Summation orders equal those of a single pass over the whole text,
 * so a block filled part by part holds the same doubles as one filled at once.
 *
 * An `incremental` block instead moves a bucket's sum by each count's change (`±(log1p(c+1) - log1p(c))`), so
 * settling costs the changed buckets only, not their chains, which grow with the text's vocabulary (with a
 * large vocabulary, a long text's chains make a settle several times dearer). Its sums then equal the
 * one-pass sums up to rounding (about 1e-16 relative), not bit for bit. It keeps no chains (nothing reads
 * them), and it is compact: its per-bucket state lives in cells, one per touched bucket in first-touch order
 * (a slot names its cell; a small open-addressing table finds a bucket's cell), grown as buckets are touched.
 * A stream makes two per target, and a short chat touches a few hundred of the `dim` buckets: dense, the two
 * took about 544 KiB per stream (at dim 16384), compact a few KiB.
 *
 * A chained (dense) block's cell is its bucket: `cellOf` then holds the bucket and the per-cell arrays are
 * `dim` long.
 */
class Block {
  private readonly mask: number;
  private table = new Int32Array(1024);
  private keys = new Int32Array(512);
  private counts = new Int32Array(512);
  /** Chained blocks: the next slot of the same bucket, or -1. */
  private next: Int32Array;
  /** Per slot, its bucket's cell (a dense block's cell is the bucket). */
  private cellOf = new Int32Array(512);
  /** Per slot, 1 when its n-gram counts negatively (the top bit of its mixed hash). */
  private negative = new Int32Array(512);
  private size = 0;
  /** Chained blocks: per bucket, its first and last slot (head -1: none). */
  private readonly head: Int32Array | undefined;
  private readonly tail: Int32Array | undefined;
  /** Per cell, `DIRTY` and (dense blocks) `TOUCHED` bits. */
  private flags: Uint8Array;
  /** The dirty cells, the first `dirtyCount` entries (kept, not shrunk, between settles). */
  private readonly dirty: number[] = [];
  private dirtyCount = 0;
  /** Signed sublinear sum per cell (a dense block's: per bucket). */
  private value: Float64Array;
  /** Buckets in first-touch order (a compact block's cell `i` is bucket `order[i]`). */
  readonly order: number[] = [];
  /** Incremental blocks: each dirty cell's sum before the changes being settled. */
  private before: Float64Array | undefined;
  /** Compact blocks: open addressing from bucket + 1 (0: empty) to its cell, in `cellAt` at the same place. */
  private cellKeys: Int32Array | undefined;
  private cellAt: Int32Array | undefined;

  constructor(dim: number, incremental: boolean) {
    this.mask = dim - 1;
    if (incremental) {
      this.flags = new Uint8Array(FIRST_CELLS);
      this.value = new Float64Array(FIRST_CELLS);
      this.before = new Float64Array(FIRST_CELLS);
      this.cellKeys = new Int32Array(FIRST_CELLS * 2);
      this.cellAt = new Int32Array(FIRST_CELLS * 2);
      this.next = new Int32Array(0);
    } else {
      this.flags = new Uint8Array(dim);
      this.value = new Float64Array(dim);
      this.head = new Int32Array(dim).fill(-1);
      this.tail = new Int32Array(dim);
      this.next = new Int32Array(512);
    }
  }

  get empty(): boolean {
    return this.size === 0;
  }

  /** Whether the per-bucket state is kept in cells (an incremental block) rather than `dim`-long arrays. */
  get compact(): boolean {
    return this.cellKeys !== undefined;
  }

  /** The sum of the bucket in `order` at `i` (see {@link Block.order}). */
  valueAt(i: number): number {
    return this.value[this.cellKeys ? i : this.order[i]!]!;
  }

  /** A bucket's settled sum (an incremental block moves its sums as n-grams arrive, before settling). */
  settledValue(b: number): number {
    const c = this.cellKeys ? this.findCell(b) : b;
    if (c < 0) return 0;
    return this.before && this.flags[c]! & DIRTY ? this.before[c]! : this.value[c]!;
  }

  add(raw: number): void {
    const key = raw | 0;
    const tmask = this.table.length - 1;
    let t = (Math.imul(key, 0x9e3779b1) >>> 0) & tmask;
    let slot = this.table[t]! - 1;
    while (slot >= 0 && this.keys[slot] !== key) {
      t = (t + 1) & tmask;
      slot = this.table[t]! - 1;
    }
    if (slot < 0) {
      slot = this.size++;
      if (slot >= this.keys.length) this.growSlots();
      this.keys[slot] = key;
      this.counts[slot] = 0;
      this.table[t] = slot + 1;
      const mixed = fmix32(raw);
      const b = mixed & this.mask;
      this.negative[slot] = mixed >>> 31;
      const head = this.head;
      if (head) {
        this.cellOf[slot] = b;
        if ((this.flags[b]! & TOUCHED) === 0) {
          this.flags[b]! |= TOUCHED;
          this.order.push(b);
        }
        this.next[slot] = -1;
        if (head[b] === -1) head[b] = slot;
        else this.next[this.tail![b]!] = slot;
        this.tail![b] = slot;
      } else {
        this.cellOf[slot] = this.touchCell(b);
      }
      if (this.size * 2 > this.table.length) this.rehash();
    }
    const c = this.counts[slot]!++;
    const cell = this.cellOf[slot]!;
    if ((this.flags[cell]! & DIRTY) === 0) {
      this.flags[cell]! |= DIRTY;
      this.dirty[this.dirtyCount++] = cell;
      if (this.before) this.before[cell] = this.value[cell]!;
    }
    if (this.before) {
      const x = c < TABLED ? STEP[c]! : Math.log1p(c + 1) - Math.log1p(c);
      this.value[cell]! += this.negative[slot] ? -x : x;
    }
  }

  /**
   * Brings the bucket sums of changed buckets up to date, telling `onChange` of each that moved (as block
   * `id`, with `other`'s settled value at that bucket; no closure per call: a stream settles at every message).
   */
  settle(id: 0 | 1, other: Block, onChange?: BucketChange): void {
    const { before, dirty, flags } = this;
    const count = this.dirtyCount;
    this.dirtyCount = 0;
    if (before) {
      const order = this.order;
      for (let i = 0; i < count; i++) {
        const c = dirty[i]!;
        flags[c]! &= ~DIRTY;
        const v = this.value[c]!;
        if (onChange && v !== before[c]) {
          const b = order[c]!;
          onChange(id, b, before[c]!, v, other.settledValue(b));
        }
      }
      return;
    }
    const head = this.head!;
    for (let i = 0; i < count; i++) {
      const b = dirty[i]!;
      flags[b]! &= ~DIRTY;
      let v = 0;
      for (let s = head[b]!; s >= 0; s = this.next[s]!) {
        const c = this.counts[s]!;
        const x = c < TABLED ? LOG1P[c]! : Math.log1p(c);
        v += this.negative[s] ? -x : x;
      }
      const was = this.value[b]!;
      this.value[b] = v;
      if (onChange && v !== was) onChange(id, b, was, v, other.settledValue(b));
    }
  }

  reset(): void {
    if (this.cellKeys) {
      this.value.fill(0, 0, this.order.length);
      this.flags.fill(0, 0, this.order.length);
      this.cellKeys.fill(0);
    } else {
      for (const b of this.order) {
        this.head![b] = -1;
        this.value[b] = 0;
        this.flags[b] = 0;
      }
    }
    // (Every dirty cell is a touched one: a bucket is touched before its first count, so its flags are cleared above.)
    this.dirtyCount = 0;
    this.order.length = 0;
    this.table.fill(0);
    this.size = 0;
  }

  /** A compact block's cell of bucket `b`, or -1 when the bucket is untouched. */
  private findCell(b: number): number {
    const keys = this.cellKeys!;
    const cmask = keys.length - 1;
    const want = b + 1;
    for (let t = (Math.imul(b, 0x9e3779b1) >>> 0) & cmask; ; t = (t + 1) & cmask) {
      const k = keys[t]!;
      if (k === want) return this.cellAt![t]!;
      if (k === 0) return -1;
    }
  }

  /** A compact block's cell of bucket `b`, made (and the bucket put in `order`) on its first touch. */
  private touchCell(b: number): number {
    const keys = this.cellKeys!;
    const cmask = keys.length - 1;
    const want = b + 1;
    let t = (Math.imul(b, 0x9e3779b1) >>> 0) & cmask;
    for (let k = keys[t]!; k !== 0; k = keys[t]!) {
      if (k === want) return this.cellAt![t]!;
      t = (t + 1) & cmask;
    }
    const cell = this.order.length;
    this.order.push(b);
    if (cell >= this.value.length) this.growCells();
    keys[t] = want;
    this.cellAt![t] = cell;
    if (this.order.length * 2 > keys.length) this.rehashCells();
    return cell;
  }

  private growCells(): void {
    const cap = this.value.length * 2;
    const value = new Float64Array(cap);
    value.set(this.value);
    this.value = value;
    const before = new Float64Array(cap);
    before.set(this.before!);
    this.before = before;
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
  }

  private rehashCells(): void {
    const size = this.cellKeys!.length * 2;
    const keys = new Int32Array(size);
    const at = new Int32Array(size);
    const cmask = size - 1;
    const order = this.order;
    for (let c = 0; c < order.length; c++) {
      const b = order[c]!;
      let t = (Math.imul(b, 0x9e3779b1) >>> 0) & cmask;
      while (keys[t] !== 0) t = (t + 1) & cmask;
      keys[t] = b + 1;
      at[t] = c;
    }
    this.cellKeys = keys;
    this.cellAt = at;
  }

  private growSlots(): void {
    const cap = this.keys.length * 2;
    const names = this.head
      ? (['keys', 'counts', 'next', 'cellOf', 'negative'] as const)
      : (['keys', 'counts', 'cellOf', 'negative'] as const);
    for (const name of names) {
      const grown = new Int32Array(cap);
      grown.set(this[name]);
      this[name] = grown;
    }
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const tmask = table.length - 1;
    for (let s = 0; s < this.size; s++) {
      let t = (Math.imul(this.keys[s]!, 0x9e3779b1) >>> 0) & tmask;
      while (table[t] !== 0) t = (t + 1) & tmask;
      table[t] = s + 1;
    }
    this.table = table;
  }
}

/**
 * The running state of a {@link HashingEmbedder} over a text that grows by parts joined with `\n`: after
 * `add(a)` and `add(b)`, `vector()` equals `embedOne(a + '\n' + b)` bit for bit, because word bigrams never span
 * a line break and character n-grams never span whitespace. `add` costs the part's n-grams; `vector()` and
 * `sparse()` cost the non-zeros (at most `dim`), however long the text so far.
 */
export class HashingAccumulator {
  private readonly o: Resolved;
  private readonly word: Block;
  private readonly char: Block;
  /**
   * Scratch of `vector()` and `sparse()`, made on their first call: a stream that reads its changes through
   * `onChange` never calls them, and a stream makes an accumulator per target.
   */
  private out: Float32Array | undefined;
  private seen: Uint8Array | undefined;
  private readonly grams: Int32Array;

  /**
   * @param o - the embedder's resolved settings
   * @param incremental - keep bucket sums by each count's change (a push then costs its own n-grams however
   *   large the vocabulary so far; sums equal the one-pass ones up to rounding, not bit for bit)
   */
  constructor(o: Resolved, incremental = false) {
    this.o = o;
    this.word = new Block(o.dim, incremental);
    this.char = new Block(o.dim, incremental);
    this.grams = new Int32Array(Math.max(1, o.charNgramMax) * (MAX_CHAR_TOKEN + 2));
  }

  /**
   * Appends a part of the text (as if joined to the earlier parts with `\n`).
   *
   * @param text - the part
   * @param onChange - told of every bucket whose (unnormalized) block value changed
   */
  add(text: string, onChange?: BucketChange): void {
    const o = this.o;
    const s = o.lowercase ? text.toLowerCase() : text;
    if (o.wordNgramMax > 0 && o.wordWeight > 0) this.addWords(s);
    if (o.charNgramMax > 0 && o.charWeight > 0) this.addChars(s);
    this.word.settle(0, this.char, onChange);
    this.char.settle(1, this.word, onChange);
  }

  /** Forgets everything added. */
  reset(): void {
    this.word.reset();
    this.char.reset();
  }

  /** The embedding of the text so far (a new dense vector; the zero vector when nothing was added). */
  vector(): Float32Array {
    const touched = this.fill();
    const out = this.out!;
    const v = new Float32Array(this.o.dim);
    for (const b of touched) {
      v[b] = out[b]!;
      out[b] = 0;
    }
    return v;
  }

  /** The embedding of the text so far, as its non-zero entries (positions ascending). */
  sparse(): SparseVector {
    const touched = this.fill().sort((a, b) => a - b);
    const out = this.out!;
    let nnz = 0;
    for (const b of touched) if (out[b] !== 0) nnz++;
    const indices = new Int32Array(nnz);
    const values = new Float32Array(nnz);
    let k = 0;
    for (const b of touched) {
      const x = out[b]!;
      if (x !== 0) {
        indices[k] = b;
        values[k++] = x;
      }
      out[b] = 0;
    }
    return { indices, values };
  }

  /** Writes the normalized vector into `out` and returns its touched buckets (first-touch order). */
  private fill(): number[] {
    const o = this.o;
    this.out ??= new Float32Array(o.dim);
    this.seen ??= new Uint8Array(o.dim);
    const { out, seen } = this;
    const touched: number[] = [];
    for (const [block, weight] of [
      [this.word, o.wordWeight],
      [this.char, o.charWeight],
    ] as const) {
      if (block.empty || weight === 0) continue;
      const order = block.order;
      let norm = 0;
      for (let i = 0; i < order.length; i++) norm += block.valueAt(i) * block.valueAt(i);
      if (norm === 0) continue;
      const f = weight / Math.sqrt(norm);
      for (let i = 0; i < order.length; i++) {
        const b = order[i]!;
        out[b]! += block.valueAt(i) * f;
        if (!seen[b]) {
          seen[b] = 1;
          touched.push(b);
        }
      }
    }
    let norm = 0;
    for (const b of touched) {
      seen[b] = 0;
      norm += out[b]! * out[b]!;
    }
    if (norm > 0) {
      const f = 1 / Math.sqrt(norm);
      for (const b of touched) out[b]! *= f;
    }
    return touched;
  }

  private addWords(s: string): void {
    const bigrams = this.o.wordNgramMax >= 2;
    for (const line of s.split('\n')) {
      let prev = -1;
      for (const m of line.matchAll(WORD_RE)) {
        const w = m[0];
        const h = fnv1a(w, 0, w.length, SEED_WORD);
        this.word.add(h);
        if (bigrams && prev !== -1) this.word.add(fmix32(prev ^ Math.imul(h, 0x9e3779b1) ^ SEED_BIGRAM));
        prev = h;
      }
    }
  }

  private addChars(s: string): void {
    const { charNgramMin: lo, charNgramMax: hi } = this.o;
    const grams = this.grams;
    for (const tok of s.split(/\s+/)) {
      if (tok === '') continue;
      const w = `<${tok.length > MAX_CHAR_TOKEN ? tok.slice(0, MAX_CHAR_TOKEN) : tok}>`;
      const len = w.length;
      if (len < lo) {
        // A token shorter than every n contributes itself once (so "<a>" still counts).
        this.char.add(fnv1a(w, 0, len, SEED_CHAR));
        continue;
      }
      // FNV-1a extends prefix by prefix: hash every n-gram starting at i in one pass, then count them in the
      // order a pass per n would (n ascending, then position), which fixes the bucket sums' summation order.
      for (let i = 0; i < len; i++) {
        let h = SEED_CHAR >>> 0;
        const top = Math.min(hi, len - i);
        for (let n = 1; n <= top; n++) {
          h ^= w.charCodeAt(i + n - 1);
          h = Math.imul(h, 0x01000193);
          if (n >= lo) grams[(n - 1) * len + i] = h;
        }
      }
      for (let n = lo; n <= Math.min(hi, len); n++) {
        const row = (n - 1) * len;
        for (let i = 0; i + n <= len; i++) this.char.add(grams[row + i]! >>> 0);
      }
    }
  }
}
