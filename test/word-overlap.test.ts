import { describe, expect, it } from 'vitest';
import { jaccardOf } from '../src/detectors/heuristic/jaccard.js';
import { WordOverlap } from '../src/detectors/heuristic/word-overlap.js';

/** The highest Jaccard similarity of `set` with one of the `window` sets before it, computed directly. */
function directBest(history: number[][], set: number[], window: number): number | null {
  if (history.length === 0) return null;
  let best = 0;
  for (const h of history.slice(-window)) {
    const inter = set.filter((id) => h.includes(id)).length;
    best = Math.max(best, inter / (set.length + h.length - inter));
  }
  return best;
}

/** A seeded generator of integers in [0, k). */
function seeded(seed: number): (k: number) => number {
  let s = seed;
  return (k) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.floor((s / 2 ** 32) * k);
  };
}

/** Seeded word sets: short and long, from small vocabularies, with near duplicates of earlier sets. */
function wordSets(seed: number, count: number): number[][] {
  const rand = seeded(seed);
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const kind = rand(3);
    let set: number[];
    if (kind === 0 || out.length === 0) {
      const size = 1 + rand(60);
      set = [...new Set(Array.from({ length: size }, () => rand(40)))];
    } else {
      // A near duplicate of a recent set: 15 and more shared words in one column.
      const base = out[out.length - 1 - rand(Math.min(out.length, 40))]!;
      set = base.filter(() => rand(10) > 0);
      for (let k = rand(4); k > 0; k--) if (!set.includes(k + 40)) set.push(k + 40);
      if (set.length === 0) set = [0];
    }
    out.push(set);
  }
  return out;
}

describe('WordOverlap', () => {
  it.each([1, 5, 31, 32, 45])(
    'gives each message’s highest overlap with the last %i, bit for bit as computed directly',
    (window) => {
      let long = 0;
      for (let seed = 1; seed <= 20; seed++) {
        const overlap = new WordOverlap(window);
        const history: number[][] = [];
        for (const set of wordSets(seed, 120)) {
          const got = overlap.addAndCompare(Int32Array.from(set), set.length) ? overlap.similarity : null;
          expect(got, `seed ${seed}, message ${history.length}`).toBe(directBest(history, set, window));
          if (set.length > 20) long++;
          history.push(set);
        }
      }
      expect(long).toBeGreaterThan(200);
    },
  );

  it.each([1, 2, 5, 31, 32, 45])(
    'gives the same overlaps, bit for bit, when repeats of recent sets are added as repeats (window %i)',
    (window) => {
      let repeats = 0;
      for (let seed = 1; seed <= 12; seed++) {
        const overlap = new WordOverlap(window);
        const history: number[][] = [];
        // Where each distinct set was added last (its key: the ids joined).
        const latest = new Map<string, number>();
        const rand = seeded(seed + 100);
        const fresh = wordSets(seed, 60);
        for (let i = 0; i < 160; i++) {
          // Mostly repeats of a few recent sets (as a canned bot sends), some near or beyond the window.
          const set =
            history.length > 0 && rand(4) > 0
              ? history[history.length - 1 - rand(Math.min(history.length, window + 3))]!
              : fresh[rand(fresh.length)]!;
          // Each set in its own array (the history keeps a reference), from an offset.
          const padded = Int32Array.from([7, ...set]);
          const key = set.join(',');
          const earlier = latest.get(key);
          const compared =
            earlier === undefined
              ? overlap.addAndCompare(padded, set.length, 1)
              : overlap.addRepeatOf(earlier, padded, set.length, 1);
          const got = compared ? overlap.similarity : null;
          if (earlier !== undefined) repeats++;
          expect(got, `seed ${seed}, message ${i}`).toBe(directBest(history, set, window));
          latest.set(key, history.length);
          history.push(set);
        }
        overlap.clear(64);
      }
      expect(repeats).toBeGreaterThan(500);
    },
  );

  it('starts over after clear(), and measures the Jaccard similarity of two sets', () => {
    const overlap = new WordOverlap(32);
    overlap.addAndCompare(Int32Array.from([1, 2, 3]), 3);
    overlap.clear(4);
    expect(overlap.addAndCompare(Int32Array.from([1, 2]), 2)).toBe(false);
    expect(overlap.addAndCompare(Int32Array.from([2, 3]), 2)).toBe(true);
    expect(overlap.similarity).toBe(1 / 3);
    // {1, 2, 3} and {3, 4}: one shared word of four.
    expect(jaccardOf(1, 3, 2)).toBe(1 / 4);
    expect(jaccardOf(2, 2, 2)).toBe(1);
    expect(jaccardOf(0, 1, 5)).toBe(0);
  });

  it.each([5, 32, 45])(
    'counts the words each added message shares with the echo set, sets read at an offset (window %i)',
    (window) => {
      const overlap = new WordOverlap(window);
      const sets = wordSets(7, 80);
      let echo: number[] = [];
      let checked = 0;
      sets.forEach((set, i) => {
        if (i % 3 === 0) {
          // A new echo set, read from the middle of a larger array.
          echo = sets[(i * 7) % sets.length]!;
          overlap.markEcho(Int32Array.from([99, ...echo, 98]), 1, echo.length);
        }
        const padded = Int32Array.from([97, 96, ...set]);
        // Now and then through the repeat path, which records the set without comparing it.
        if (i % 5 === 4) overlap.addRepeatOf(overlap.messages - 1, padded, set.length, 2);
        else overlap.addAndCompare(padded, set.length, 2);
        const shared = set.filter((id) => echo.includes(id)).length;
        expect(overlap.echoShared, `message ${i}`).toBe(shared);
        if (shared > 0) checked++;
      });
      expect(checked).toBeGreaterThan(10);
    },
  );

  it.each([1, 5, 31, 32, 45])(
    'adds word ids with repeats as their distinct set, and counts them, across clear() (window %i)',
    (window) => {
      const rand = seeded(window + 300);
      // One instance for many transcripts: ids of one must not count as already seen in the next.
      const overlap = new WordOverlap(window);
      let dropped = 0;
      for (let seed = 1; seed <= 10; seed++) {
        const history: number[][] = [];
        let echo: number[] = [];
        overlap.markEcho(new Int32Array(0), 0, 0);
        for (const set of wordSets(seed, 40 + seed * 7)) {
          // The ids as a message has them: each word once or more, in any order.
          const ids = set.flatMap((id) => (rand(3) === 0 ? [id, id] : [id]));
          for (let k = ids.length - 1; k > 0; k--) {
            const j = rand(k + 1);
            [ids[k], ids[j]] = [ids[j]!, ids[k]!];
          }
          dropped += ids.length - set.length;
          if (rand(4) === 0) {
            echo = [...set];
            expect(overlap.markEchoWords(Int32Array.from(ids), ids.length, 64)).toBe(set.length);
          }
          const got = overlap.addWords(Int32Array.from(ids), ids.length, 64) ? overlap.similarity : null;
          expect(got, `seed ${seed}, message ${history.length}`).toBe(directBest(history, set, window));
          expect(overlap.added).toBe(set.length);
          expect(overlap.echoShared).toBe(set.filter((id) => echo.includes(id)).length);
          history.push(set);
        }
        overlap.clear(64);
      }
      expect(dropped).toBeGreaterThan(100);
    },
  );

  it.each([5, 45])(
    'shares nothing with an echo set before one is marked, or after clear() (window %i)',
    (window) => {
      const overlap = new WordOverlap(window);
      const ids = Int32Array.from([0, 1, 2, 3]);
      overlap.addWords(ids, 4, 64);
      expect(overlap.echoShared).toBe(0);
      overlap.markEchoWords(ids, 4, 64);
      overlap.addWords(ids, 4, 64);
      expect(overlap.echoShared).toBe(4);
      overlap.clear(64);
      overlap.addWords(ids, 4, 64);
      expect(overlap.echoShared).toBe(0);
    },
  );

  it('forgets every mark when a stamp counter wraps, so no word counts as seen by an old stamp', () => {
    // Reaching the wrap takes about a billion calls: the counters are set near it instead.
    const o = new WordOverlap(8);
    const counters = o as unknown as { stamp: number; echoStamp: number };
    const out = new Int32Array(4);
    expect(o.distinct(Int32Array.of(3), 1, out, 8)).toBe(1); // word 3 marked with stamp 1
    counters.stamp = 0x3fffffff;
    expect(o.distinct(Int32Array.of(3, 3), 2, out, 8)).toBe(1); // wraps: stamp 1 again, word 3 new here
    expect(o.markEchoWords(Int32Array.of(3), 1, 8)).toBe(1); // echo stamp 2 on word 3
    counters.echoStamp = 0x3fffffff;
    expect(o.markEchoWords(Int32Array.of(5), 1, 8)).toBe(1); // wraps: echo stamp 1
    expect(o.markEchoWords(Int32Array.of(3, 3), 2, 8)).toBe(1); // echo stamp 2: one distinct word, not 0
  });
});
