import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StyleAccumulator } from '../src/detectors/heuristic/style-accumulator.js';
import { resolveStyleFeatureOptions } from '../src/detectors/heuristic/style-features.js';

/** Few distinct texts (ASCII, non-ASCII, blank, wordless), so that both speakers repeat themselves and each other. */
const POOL = [
  'Hello ! How are you today ?',
  "i 'm doing well . what do you do for a living ?",
  'I love to read books. What is your favorite book? ',
  'hey whats up',
  'lol yeah',
  'Honestly I never thought about it that way 🙂',
  'ça va très bien, merci',
  '   ',
  '?!',
  'ok',
];

const transcripts = fc.array(
  fc.record({ bot: fc.boolean(), text: fc.constantFrom(...POOL), dt: fc.integer({ min: 0, max: 5000 }) }),
  { minLength: 1, maxLength: 120 },
);

type Sent = { bot: boolean; text: string; dt: number };

/**
 * The features after each message of each transcript in `runs`, all through `acc` (reset before each transcript),
 * with the text cache on or off.
 */
function feed(acc: StyleAccumulator, runs: Sent[][], cached = true): unknown[][] {
  return runs.map((messages) => {
    acc.reset('bot', cached);
    let t = 0;
    return messages.map((m) => {
      t += m.dt;
      acc.add(m.bot ? 'bot' : 'alice', m.text, t);
      return acc.features();
    });
  });
}

/** The features after each message, with the text cache on or off. */
function run(messages: Sent[], window: number, cached: boolean): unknown[] {
  return feed(
    new StyleAccumulator('bot', resolveStyleFeatureOptions({ repeatWindow: window })),
    [messages],
    cached,
  )[0]!;
}

describe('the per-transcript text cache', () => {
  it.each([1, 3, 32, 40])(
    'gives the same features as measuring every message (repeatWindow %i)',
    (window) => {
      fc.assert(
        fc.property(transcripts, (messages) => {
          expect(run(messages, window, true)).toEqual(run(messages, window, false));
        }),
        { numRuns: 150 },
      );
    },
  );

  it('starts over at each reset, whether the cache was on or off before', () => {
    // Reset with the cache on, then off, then on again: nothing is carried from one transcript to the next.
    const acc = new StyleAccumulator('bot', resolveStyleFeatureOptions({}));
    const texts = POOL.slice(0, 4);
    const feed = (n: number, cached: boolean) => {
      acc.reset('bot', cached);
      for (let i = 0; i < n; i++) acc.add(i % 2 ? 'bot' : 'alice', texts[i % texts.length]!, Number.NaN);
      return acc.features();
    };
    const first = feed(60, true);
    feed(50, false);
    expect(feed(60, true)).toEqual(first);
    expect(first.values.exact_repeat_share).toBeGreaterThan(0.9);
    expect(first.values.near_repeat_mean).toBeGreaterThan(0.9);
  });
});

describe('the text cache across transcripts', () => {
  /** A few transcripts drawn from one pool of texts, so a text comes again in later transcripts, in another order. */
  const transcriptRuns = fc.array(transcripts, { minLength: 2, maxLength: 6 });

  it.each([1, 3, 40])(
    'one accumulator reading several transcripts measures each as a fresh one does (repeatWindow %i)',
    (window) => {
      const options = resolveStyleFeatureOptions({ repeatWindow: window });
      fc.assert(
        fc.property(transcriptRuns, (runs) => {
          const fresh = runs.map((messages) => feed(new StyleAccumulator('bot', options), [messages])[0]);
          expect(feed(new StyleAccumulator('bot', options), runs)).toEqual(fresh);
        }),
        { numRuns: 100 },
      );
    },
  );

  it('keeps at most 4096 scans between transcripts, and still measures the next transcripts as a fresh one', () => {
    const options = resolveStyleFeatureOptions({});
    const acc = new StyleAccumulator('bot', options);
    // 5000 distinct target texts, each sent twice (so the cache is on and keeps a scan of each).
    const big = Array.from({ length: 10_000 }, (_, i) => ({
      bot: true,
      text: `msg ${i >> 1} w${(i >> 1) % 97}`,
      dt: 1,
    }));
    const small = POOL.flatMap((text, i) => [
      { bot: true, text, dt: 10 },
      { bot: i % 2 === 0, text: POOL[(i * 3) % POOL.length]!, dt: 5 },
    ]);
    const [, afterBig] = feed(acc, [big, small]);
    const scans = (acc as unknown as { cache: { scans: unknown[] } }).cache.scans;
    expect(scans.length).toBeLessThanOrEqual(4096);
    expect(afterBig).toEqual(feed(new StyleAccumulator('bot', options), [small])[0]);
  });
});
