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

/** The features after each message, with the text cache on or off. */
function run(
  messages: { bot: boolean; text: string; dt: number }[],
  window: number,
  cached: boolean,
): unknown[] {
  const acc = new StyleAccumulator('bot', resolveStyleFeatureOptions({ repeatWindow: window }));
  acc.reset('bot', cached);
  let t = 0;
  return messages.map((m) => {
    t += m.dt;
    acc.add(m.bot ? 'bot' : 'alice', m.text, t);
    return acc.features();
  });
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
