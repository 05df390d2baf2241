import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MessageScan,
  scanMessage,
  scanReference,
  scanWords,
} from '../src/detectors/heuristic/message-scan.js';
import { RunningMedian } from '../src/detectors/heuristic/running-median.js';
import { median, words } from '../src/detectors/heuristic/text-utils.js';
import { WordTable } from '../src/detectors/heuristic/word-table.js';

/**
 * The fast scan takes the curly apostrophe and lone emoji next to ASCII (and hands anything else to the
 * reference definitions): text mixing them with the characters around which the definitions differ, emoji
 * sequences it must refuse (variation selector, joiner, skin tone, flags), and astral letters.
 */
const emojiText = fc
  .array(
    fc.constantFrom(
      'a',
      'B',
      'n',
      't',
      'I',
      ' ',
      '\n',
      '.',
      '?',
      '!',
      ',',
      "'",
      '"',
      ')',
      '’',
      ' ’',
      '’ ',
      'n’t',
      ' n’t',
      'don’t',
      'I’M',
      '😂',
      '😄',
      '🚗',
      '👋',
      '🙂',
      '👍🏻',
      '❤️',
      '❤',
      '1️⃣',
      '👨‍👩',
      '🇫🇷',
      '𝐀',
      '𐐀',
      '\ud83d',
      '\ude02',
      '©',
      'é',
    ),
    { maxLength: 20 },
  )
  .map((xs) => xs.join(''));

/** What a scan measured: all but its word ids and the ASCII scan's scratch. */
function counts(s: MessageScan): Partial<MessageScan> {
  const { ids: _ids, wordFlags: _f, innerApostrophes: _a, spacedNegation: _n, ...measured } = s;
  return measured;
}

describe('the fast scan on emoji and curly apostrophes', () => {
  it('measures what the reference definitions measure, and finds the same words', () => {
    fc.assert(
      fc.property(emojiText, (text) => {
        const table = new WordTable();
        const s = new MessageScan();
        scanMessage(text, table, s);
        // The reference words looked up give the ids the scan found (ids are one per distinct word).
        expect(Array.from(s.ids.subarray(0, s.wordCount))).toEqual(words(text).map((w) => table.idOf(w)));
        const w = new MessageScan();
        scanWords(text, table, w);
        expect(Array.from(w.ids.subarray(0, w.wordCount))).toEqual(
          Array.from(s.ids.subarray(0, s.wordCount)),
        );
        const r = new MessageScan();
        scanReference(text, table, r);
        expect(counts(s)).toEqual(counts(r));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('gives a word with a curly apostrophe the id idOf gives it', () => {
    const table = new WordTable();
    const s = new MessageScan();
    scanMessage('I DON’T know 😂 don’t', table, s);
    expect(s.emoji).toBe(1);
    expect(Array.from(s.ids.subarray(0, s.wordCount))).toEqual(
      ['i', 'don’t', 'know', 'don’t'].map((x) => table.idOf(x)),
    );
  });
});

describe('RunningMedian asked once, after every number', () => {
  it('selects the median detect() reads, bit for bit, and keeps the stream answers after it', () => {
    const numbers = fc.array(
      fc.oneof(
        fc.integer({ min: -5, max: 5 }),
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((x) => x + 0),
      ),
      { maxLength: 80 },
    );
    fc.assert(
      fc.property(numbers, numbers, (xs, more) => {
        const m = new RunningMedian();
        for (const x of xs) m.add(x);
        expect(m.median()).toBe(xs.length === 0 ? Number.NaN : median(xs.slice()));
        // Later questions (a stream's) use the heaps, filled from every number so far.
        const all = xs.slice();
        for (const x of more) {
          m.add(x);
          all.push(x);
          expect(m.median()).toBe(median(all.slice()));
        }
      }),
      { numRuns: 400, seed: 3 },
    );
  });
});
