import { grown } from './grown.js';
import { jaccardOf } from './jaccard.js';
import { emptyLanes, SPREAD } from './lane-counts.js';
/**
 * Word-set overlap (Jaccard) between messages, in time linear in the number of words. For windows of up to
 * 32 messages each word keeps a 32-bit mask of the recent messages that hold it, so the words shared with each
 * of them are counted from registers. Larger windows use an inverted index
 * (word id -> the history messages holding it, newest first, as linked lists in typed arrays) counts the shared
 * words of a new message with each recent one at once, instead of comparing the new message with every recent
 * message in turn. Word ids come from a `WordTable`.
 */
export class WordOverlap {
  /** Word id -> the last stamp it was marked with (for de-duplication and intersections). */
  private mark = new Int32Array(64);
  /** Index mode (window > 32): word id -> its newest posting + 1 (0 = none). */
  private head = new Int32Array(64);
  /** Posting -> history message number. */
  private postMsg = new Int32Array(0);
  /** Posting -> the same word's previous posting + 1 (0 = none). */
  private postPrev = new Int32Array(0);
  private posts = 0;
  /** History message number -> its number of distinct words. */
  private sizes = new Int32Array(64);
  /** History messages so far. */
  private history = 0;
  private readonly shared: Int32Array;
  private stamp = 0;
  /** Masks mode (window <= 32): word id -> bit j set when history message `ref - 1 - j` holds the word. */
  private bits = new Int32Array(64);
  /** Word id -> the history size when its mask was last written. */
  private ref = new Int32Array(64);
  /** Shared-word counts of the 32 recent messages, for messages of more than 15 words (addAndCompareMasks). */
  private readonly counts = new Int32Array(32);
  /** Distinct-word counts of the latest 32 history messages, by message number mod 32. */
  private readonly ring = new Int32Array(32);
  /**
   * Masks mode, by history message number mod 64: -1 when the message's words are in the masks, else the earlier
   * message with the same words that stands in for it (see {@link WordOverlap.addRepeatOf}).
   */
  private readonly standIn = new Int32Array(64);
  /** Masks mode, by message number mod 64, for a message in the masks: its latest stand-in repeat (-1: none). */
  private readonly latestRepeat = new Int32Array(64);
  /**
   * Masks mode, by message number mod 64, for a repeat with a stand-in: the array and start of its word set
   * ({@link NO_SET} where none is kept). 64 entries from the start, never truncated: an array emptied for each
   * transcript grew its storage again in every one (a third of what a detect() call allocated).
   */
  private readonly repeatSets: Int32Array[] = new Array<Int32Array>(64).fill(NO_SET);
  private readonly repeatStarts = new Int32Array(64);
  /** Whether `repeatSets` holds a set since the last `clear()`. */
  private keptSets = false;
  private readonly useMasks: boolean;
  private readonly windowMask: number;
  /** Word id -> the stamp of the echo set holding it (see {@link WordOverlap.markEcho}). */
  private echoMark = new Int32Array(64);
  /**
   * The current echo set's stamp. It starts above 0 (the stamp of no word: unmarked and newly grown entries are
   * 0) and `clear()` moves it on, so with none marked since, the echo set is empty.
   */
  private echoStamp = 1;
  /**
   * How many words of the message added last are in the echo set (see {@link WordOverlap.markEcho}): counted
   * while the message is added to the history, so the echo costs no second pass over its words.
   */
  echoShared = 0;
  /**
   * The highest Jaccard similarity of the message added last with the previous `window` history messages, when
   * the add that added it returned true (NaN before any did). A field, not a return value: a number returned
   * from a call that is not inlined is boxed unless it is a small integer (an allocation per message).
   */
  similarity = Number.NaN;
  /** How many distinct words the message added last has. */
  added = 0;
  /** The distinct ids of {@link WordOverlap.addWords} in index mode. */
  private scratch = new Int32Array(32);

  /** @param window - how many of the latest history messages {@link WordOverlap.addAndCompare} looks at */
  constructor(private readonly window: number) {
    this.shared = new Int32Array(Math.min(window, 1 << 20));
    this.useMasks = window <= 32;
    this.windowMask = window >= 32 ? -1 : (1 << window) - 1;
  }

  /**
   * Forgets the history, keeping the memory.
   *
   * @param vocabulary - how many word ids were in use (the word table's size before it was cleared)
   */
  clear(vocabulary: number): void {
    // Each mode empties only the arrays it writes.
    if (this.useMasks) {
      this.bits.fill(0, 0, Math.min(vocabulary, this.bits.length));
      // (A word's `ref` marks it as already counted in the message being added: see addAndCompareMasks.)
      this.ref.fill(0, 0, Math.min(vocabulary, this.ref.length));
    } else {
      this.head.fill(0, 0, Math.min(vocabulary, this.head.length));
    }
    // The word sets of stand-in repeats belong to the scan cache: hold none of them past this transcript.
    if (this.keptSets) this.repeatSets.fill(NO_SET);
    this.keptSets = false;
    // The echo set ends with the transcript (a stamp no word has yet).
    this.nextEchoStamp();
    this.posts = 0;
    this.history = 0;
  }

  /** A stamp not yet in `mark`. */
  private nextStamp(): number {
    this.stamp = stampAfter(this.stamp, this.mark);
    return this.stamp;
  }

  /** Makes room for word ids below `size`. */
  private reserve(size: number): void {
    if (size <= this.mark.length) return;
    this.mark = grown(this.mark, size);
    this.head = grown(this.head, size);
    this.bits = grown(this.bits, size);
    this.ref = grown(this.ref, size);
    this.echoMark = grown(this.echoMark, size);
  }

  /**
   * Writes the distinct ids of `ids[0, n)` into `out` from `at` on, in first-seen order, and returns how many
   * there are.
   *
   * @param vocabulary - one more than the largest id (the word table's size)
   */
  distinct(ids: Int32Array, n: number, out: Int32Array, vocabulary: number, at = 0): number {
    this.reserve(vocabulary);
    const stamp = this.nextStamp();
    const mark = this.mark;
    let k = at;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (mark[id] === stamp) continue;
      mark[id] = stamp;
      out[k++] = id;
    }
    return k - at;
  }

  /**
   * Adds a non-empty word set (`set[start, start + n)`, distinct ids) to the history; returns true, with its
   * highest Jaccard similarity with the previous `window` history messages in {@link WordOverlap.similarity},
   * or false when the history was empty.
   */
  addAndCompare(set: Int32Array, n: number, start = 0): boolean {
    return this.useMasks ? this.addAndCompareMasks(set, start, n) : this.addAndCompareIndex(set, start, n);
  }

  /**
   * {@link WordOverlap.addAndCompare} for a message's word ids in order, repeats included (`ids[0, n)`, n > 0):
   * the same as adding their distinct ids, without a pass that writes them out first (the masks mode skips a
   * repeated word as it meets it). Its number of distinct words is then in {@link WordOverlap.added}.
   *
   * @param vocabulary - one more than the largest id (the word table's size)
   */
  addWords(ids: Int32Array, n: number, vocabulary: number): boolean {
    this.reserve(vocabulary);
    if (this.useMasks) return this.addAndCompareMasks(ids, 0, n);
    if (this.scratch.length < n) this.scratch = new Int32Array(Math.max(n, 2 * this.scratch.length));
    return this.addAndCompareIndex(this.scratch, 0, this.distinct(ids, n, this.scratch, vocabulary));
  }

  /** History messages so far: the number the next message added will have. */
  get messages(): number {
    return this.history;
  }

  /**
   * {@link WordOverlap.addAndCompare} for a set known to equal that of history message `earlier`: when that
   * message is within the window the similarity is 1 (the same words: nothing overlaps more, and `x / x` is
   * exactly 1), so only the history is updated; otherwise it compares as usual.
   */
  addRepeatOf(earlier: number, set: Int32Array, n: number, start = 0): boolean {
    if (this.history - earlier > this.window) return this.addAndCompare(set, n, start);
    if (this.useMasks) this.recordRepeat(earlier, set, start, n);
    else this.recordIndex(set, start, n);
    this.similarity = 1;
    return true;
  }

  /**
   * Masks mode: adds a repeat of `earlier` (within the window) without writing its words into the masks. The
   * message in the masks with the same words stands in for it: a new message shares as many words with the
   * two, so the column of the stand-in gives the same overlap. When the stand-in leaves the window, the
   * latest repeat is written into the masks in its place (see {@link WordOverlap.keepRepeats}), so a repeat
   * costs its words once per window rather than once per message. Only the echo share is counted now. The set
   * must stay unchanged in `set` while it is in the window (the accumulator's sets are in the text cache).
   */
  private recordRepeat(earlier: number, set: Int32Array, start: number, n: number): void {
    const m = this.history;
    this.keepRepeats(m);
    const e = this.standIn[earlier & 63]!;
    const root = e < 0 ? earlier : e;
    this.echoShared = this.sharedWithEcho(set, start, n);
    const slot = m & 63;
    this.standIn[slot] = root;
    this.latestRepeat[slot] = -1;
    this.latestRepeat[root & 63] = m;
    this.repeatSets[slot] = set;
    this.keptSets = true;
    this.repeatStarts[slot] = start;
    this.ring[m & 31] = n;
    this.remember(n);
  }

  /**
   * Masks mode, before message `m` is added: when the message that just left the window stood in for a later
   * repeat, writes that repeat (the latest, still in the window) into the masks, its bit in column
   * `m - 1 - repeat`. Earlier repeats of it need nothing: they leave the window before the latest one.
   */
  private keepRepeats(m: number): void {
    const gone = m - this.window - 1;
    if (gone < 0 || this.standIn[gone & 63] !== -1) return;
    const q = this.latestRepeat[gone & 63]!;
    if (q < 0) return;
    const set = this.repeatSets[q & 63]!;
    const start = this.repeatStarts[q & 63]!;
    const n = this.ring[q & 31]!;
    const bits = this.bits;
    const ref = this.ref;
    const bit = 1 << (m - 1 - q);
    for (let i = start; i < start + n; i++) {
      const id = set[i]!;
      const shift = m - ref[id]!;
      bits[id] = (shift >= 32 ? 0 : bits[id]! << shift) | bit;
      ref[id] = m;
    }
    this.standIn[q & 63] = -1;
  }

  /**
   * {@link WordOverlap.addAndCompare} for windows of up to 32 messages. Each word's aligned mask has bit j set
   * when history message m - 1 - j holds it. The shared-word counts of the 32 columns are summed four bits
   * each, eight to a 32-bit number (a table spreads each byte of a mask into eight 4-bit lanes), so a word
   * costs four additions however many recent messages hold it; every 15 words the lanes are emptied into
   * `counts` before they can overflow.
   */
  private addAndCompareMasks(set: Int32Array, start: number, n: number): boolean {
    const m = this.history;
    this.keepRepeats(m);
    const bits = this.bits;
    const ref = this.ref;
    const echoMark = this.echoMark;
    const echoStamp = this.echoStamp;
    let echoShared = 0;
    const windowMask = this.windowMask;
    const counts = this.counts;
    // (In a local: a module-level const is read from the module's context and checked at every use. Cachegrind,
    // per detect() on the ISO bench transcript: 843.0K -> 838.4K instructions, commit a64a002.)
    const spread = SPREAD;
    let wide = false;
    let lanes = 0;
    /** Columns with a shared word. */
    let any = 0;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    /** Distinct words so far: a word already met in this message has `ref` m + 1 (ids of a set never do). */
    let size = 0;
    for (let i = start; i < start + n; i++) {
      const id = set[i]!;
      const r = ref[id]!;
      if (r === m + 1) continue;
      size++;
      const shift = m - r;
      const aligned = shift >= 32 ? 0 : bits[id]! << shift;
      // The message is recorded on the way (the columns below read no mask).
      bits[id] = (aligned << 1) | 1;
      ref[id] = m + 1;
      if (echoMark[id] === echoStamp) echoShared++;
      const a = aligned & windowMask;
      if (a === 0) continue;
      any |= a;
      c0 = (c0 + spread[a & 0xff]!) | 0;
      c1 = (c1 + spread[(a >>> 8) & 0xff]!) | 0;
      c2 = (c2 + spread[(a >>> 16) & 0xff]!) | 0;
      c3 = (c3 + spread[a >>> 24]!) | 0;
      if (++lanes === 15) {
        if (!wide) counts.fill(0);
        wide = true;
        emptyLanes(counts, c0, c1, c2, c3);
        lanes = c0 = c1 = c2 = c3 = 0;
      }
    }
    if (wide) emptyLanes(counts, c0, c1, c2, c3);
    // The largest shared / union, compared as exact integer cross products (small integers: no rounding), then
    // divided once: division rounds monotonically, so this is the largest of the rounded quotients, bit for
    // bit, without a division per recent message. Columns are read in order from the lanes, 4 bits at a time,
    // up to the oldest with a shared word (cheaper than finding each set bit of `any` and picking its lane).
    // The order does not change the result: columns of equal ratio hold the same rational number, whose
    // quotient rounds to the same double.
    let bestShared = 0;
    let bestUnion = 1;
    const ring = this.ring;
    const top = 32 - Math.clz32(any);
    let lane = c0;
    for (let j = 0; j < top; j++) {
      if ((j & 7) === 0 && j !== 0) lane = j === 8 ? c1 : j === 16 ? c2 : c3;
      const x = wide ? counts[j]! : lane & 15;
      lane >>>= 4;
      if (x === 0) continue;
      const union = size + ring[(m - 1 - j) & 31]! - x;
      if (x * bestUnion > bestShared * union) {
        bestShared = x;
        bestUnion = union;
        if (x === union) break; // the same words: nothing overlaps more
      }
    }
    this.echoShared = echoShared;
    this.standIn[m & 63] = -1;
    this.latestRepeat[m & 63] = -1;
    this.ring[m & 31] = size;
    this.remember(size);
    // (The first message: every mask was empty, nothing was compared.)
    if (m === 0) return false;
    this.similarity = bestShared / bestUnion;
    return true;
  }

  /**
   * Makes `set[start, start + n)` (distinct ids below the vocabulary given to {@link WordOverlap.distinct} so
   * far) the echo set: from now on {@link WordOverlap.echoShared} counts the words each added message shares
   * with it. An empty set, or none marked yet, shares nothing.
   */
  markEcho(set: Int32Array, start: number, n: number): void {
    const stamp = this.nextEchoStamp();
    const mark = this.echoMark;
    for (let i = start; i < start + n; i++) mark[set[i]!] = stamp;
  }

  /**
   * {@link WordOverlap.markEcho} for a message's word ids in order, repeats included (`ids[0, n)`); returns its
   * number of distinct words.
   *
   * @param vocabulary - one more than the largest id (the word table's size)
   */
  markEchoWords(ids: Int32Array, n: number, vocabulary: number): number {
    this.reserve(vocabulary);
    const stamp = this.nextEchoStamp();
    const mark = this.echoMark;
    let size = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (mark[id] === stamp) continue;
      mark[id] = stamp;
      size++;
    }
    return size;
  }

  /** A stamp not yet in `echoMark`. */
  private nextEchoStamp(): number {
    this.echoStamp = stampAfter(this.echoStamp, this.echoMark);
    return this.echoStamp;
  }

  /** {@link WordOverlap.addAndCompare} through the inverted index (any window). */
  private addAndCompareIndex(set: Int32Array, start: number, n: number): boolean {
    const m = this.history;
    let best = 0;
    const head = this.head;
    if (m > 0) {
      const lo = Math.max(0, m - this.window);
      const width = m - lo;
      const shared = this.shared;
      shared.fill(0, 0, width);
      const postMsg = this.postMsg;
      const postPrev = this.postPrev;
      for (let i = start; i < start + n; i++) {
        for (let p = head[set[i]!]!; p !== 0 && postMsg[p - 1]! >= lo; p = postPrev[p - 1]!) {
          shared[postMsg[p - 1]! - lo]!++;
        }
      }
      for (let k = 0; k < width; k++) {
        const x = shared[k]!;
        if (x === 0) continue;
        const j = jaccardOf(x, n, this.sizes[lo + k]!);
        if (j > best) best = j;
      }
    }
    this.recordIndex(set, start, n);
    if (m === 0) return false;
    this.similarity = best;
    return true;
  }

  /** Adds `set[start, start + n)` to the inverted index. */
  private recordIndex(set: Int32Array, start: number, n: number): void {
    const m = this.history;
    const head = this.head;
    if (this.posts + n > this.postMsg.length) {
      const size = Math.max(this.posts + n, 256);
      this.postMsg = grown(this.postMsg, size);
      this.postPrev = grown(this.postPrev, size);
    }
    for (let i = start; i < start + n; i++) {
      const id = set[i]!;
      const p = this.posts++;
      this.postMsg[p] = m;
      this.postPrev[p] = head[id]!;
      head[id] = p + 1;
    }
    this.echoShared = this.sharedWithEcho(set, start, n);
    this.remember(n);
  }

  /**
   * How many words of `set[start, start + n)` are in the echo set: for the messages added without a pass over
   * their words that could count them on the way (the masks mode's {@link WordOverlap.addAndCompareMasks}
   * counts them in its pass, its hot loop).
   */
  private sharedWithEcho(set: Int32Array, start: number, n: number): number {
    const echoMark = this.echoMark;
    const echoStamp = this.echoStamp;
    let shared = 0;
    for (let i = start; i < start + n; i++) if (echoMark[set[i]!] === echoStamp) shared++;
    return shared;
  }

  /** Appends a history message of `n` distinct words. */
  private remember(n: number): void {
    if (this.history === this.sizes.length) this.sizes = grown(this.sizes, this.history + 1);
    this.sizes[this.history++] = n;
    this.added = n;
  }
}

/**
 * The stamp after `stamp` for an array of marks (word id -> the stamp it was last marked with, 0 = never): one
 * above it, or 1 after emptying `marks` when it would outgrow an Int32Array entry. The one home of the wrap of
 * both stamp counters of {@link WordOverlap}.
 */
function stampAfter(stamp: number, marks: Int32Array): number {
  if (stamp < 0x3fffffff) return stamp + 1;
  marks.fill(0);
  return 1;
}

/** What {@link WordOverlap}'s `repeatSets` holds where it keeps no set. */
const NO_SET = new Int32Array(0);
