import { describe, expect, it } from 'vitest';
import type { Transcript } from '../src/core/transcript.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { words } from '../src/detectors/heuristic/text-utils.js';

/** A seeded generator of integers in [0, k). */
function seeded(seed: number): (k: number) => number {
  let s = seed;
  return (k) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.floor((s / 2 ** 32) * k);
  };
}

const VOCABULARY = [
  'i',
  'you',
  'the',
  'a',
  'do',
  "don't",
  'like',
  'dogs',
  'Cats',
  'really',
  'what',
  'is',
  'it',
];
const FILLER = [' ', ', ', ' . ', '! ', ' ? ', '  '];

/**
 * A two-speaker chat whose messages repeat words inside themselves ("you you really really like ..."), no two
 * texts alike unless `repeatEvery` makes every such message of the target an exact copy of an earlier one (the
 * text cache then turns on part-way).
 */
function chat(seed: number, length: number, repeatEvery = 0): Transcript {
  const rand = seeded(seed);
  const messages: Transcript['messages'] = [];
  const sent: string[] = [];
  for (let i = 0; i < length; i++) {
    const speaker = rand(3) === 0 ? 'alice' : 'bot';
    let text: string;
    if (speaker === 'bot' && repeatEvery > 0 && sent.length > 0 && i % repeatEvery === 0) {
      text = sent[rand(sent.length)]!;
    } else {
      const parts: string[] = [];
      for (let w = rand(14); w >= 0; w--) {
        const word = VOCABULARY[rand(VOCABULARY.length)]!;
        parts.push(word, FILLER[rand(FILLER.length)]!);
        // The same word again in the same message, now and then more than once.
        if (rand(3) === 0) parts.push(word.toUpperCase(), ' ');
      }
      // A unique tail keeps texts apart (no exact repeats), and blank or wordless messages come too.
      text = rand(12) === 0 ? ' ... ' : `${parts.join('')}${rand(2) === 0 ? ` w${seed}x${i}` : ''}`;
    }
    if (speaker === 'bot') sent.push(text);
    messages.push({ speaker, text });
  }
  return { target: 'bot', messages };
}

/**
 * near_repeat_mean and echo_similarity as the detector defines them, computed directly with sets of the
 * reference word lists: for each target message with a word, the highest Jaccard similarity with one of the
 * previous `window` such messages, and the Jaccard similarity with the other speaker's latest message when
 * that one has a word.
 */
function direct(t: Transcript, window: number): { near: number | null; echo: number | null } {
  const history: Set<string>[] = [];
  let lastOther: Set<string> | undefined;
  let nearSum = 0;
  let nearN = 0;
  let echoSum = 0;
  let echoN = 0;
  const jaccard = (a: Set<string>, b: Set<string>): number => {
    let shared = 0;
    for (const w of a) if (b.has(w)) shared++;
    return shared / (a.size + b.size - shared);
  };
  for (const m of t.messages) {
    const set = new Set(words(m.text));
    if (m.speaker !== t.target) {
      lastOther = set;
      continue;
    }
    if (m.text.trim() === '' || set.size === 0) continue;
    if (lastOther !== undefined && lastOther.size > 0) {
      echoSum += jaccard(set, lastOther);
      echoN++;
    }
    if (history.length > 0) {
      let best = 0;
      for (const h of history.slice(-window)) best = Math.max(best, jaccard(set, h));
      nearSum += best;
      nearN++;
    }
    history.push(set);
  }
  return { near: nearN > 0 ? nearSum / nearN : null, echo: echoN > 0 ? echoSum / echoN : null };
}

describe('near repetition and echo on messages that repeat words inside themselves', () => {
  it.each([1, 5, 32, 45])(
    'equal the direct definition, bit for bit, with and without exact repeats, one detector for many chats (window %i)',
    (window) => {
      // One detector for every chat: what one transcript leaves behind must not count in the next.
      const detector = new HeuristicDetector({ repeatWindow: window });
      let compared = 0;
      for (let seed = 1; seed <= 24; seed++) {
        const t = chat(seed, 20 + ((seed * 37) % 180), seed % 3 === 0 ? 4 : 0);
        const got = detector.features(t).values;
        const want = direct(t, window);
        expect(got.near_repeat_mean, `seed ${seed}`).toBe(want.near);
        expect(got.echo_similarity, `seed ${seed}`).toBe(want.echo);
        if (want.near !== null && want.echo !== null) compared++;
      }
      expect(compared).toBeGreaterThan(20);
    },
  );

  it('scores such chats the same through detect() and through features() on a fresh detector', async () => {
    const reused = new HeuristicDetector();
    for (let seed = 1; seed <= 12; seed++) {
      const t = chat(seed + 50, 200);
      const a = await reused.detect(t);
      const b = await new HeuristicDetector().detect(t);
      expect(a.score, `seed ${seed}`).toBe(b.score);
    }
  });
});
