import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import {
  compressionRatio,
  distinctN,
  lexicalDiversity,
  movingAverageTtr,
  selfRepetition,
  typeTokenRatio,
} from '../src/text/lexical-diversity.js';
import { ngrams, wordTokens } from '../src/text/tokenize.js';

describe('wordTokens', () => {
  it.each([
    [
      'lower-cases words, keeps apostrophes and numbers whole, drops punctuation',
      "Hello ! I'm fine, THANKS. It's 12.5 degrees?",
      "hello i'm fine thanks it's 12.5 degrees",
    ],
    [
      'keeps each emoji as one token, ZWJ families and flags included',
      'lol no way 😂 that’s crazy 👨‍👩‍👧🇫🇷👍🏽',
      'lol no way 😂 that’s crazy 👨‍👩‍👧 🇫🇷 👍🏽',
    ],
  ])('%s', (_what, text, tokens) => {
    expect(wordTokens(text)).toEqual(tokens.split(' '));
  });

  it('splits unspaced scripts into words and handles accents', () => {
    const cjk = wordTokens('我喜欢吃拉面');
    expect(cjk.length).toBeGreaterThan(1);
    expect(cjk.join('')).toBe('我喜欢吃拉面');
    expect(wordTokens('Ça va, l’été?')).toEqual(['ça', 'va', 'l’été']);
  });

  it('gives [] for empty, whitespace and punctuation-only text', () => {
    expect(wordTokens('')).toEqual([]);
    expect(wordTokens('  \n ')).toEqual([]);
    expect(wordTokens('?!...')).toEqual([]);
  });
});

describe('ngrams', () => {
  it('lists the n-grams in order and none when too short', () => {
    expect(ngrams(['a', 'b', 'c'], 2)).toEqual(['a b', 'b c']);
    expect(ngrams(['a', 'b', 'c'], 3)).toEqual(['a b c']);
    expect(ngrams(['a'], 2)).toEqual([]);
  });
});

describe('distinctN', () => {
  it('pools messages without crossing them (hand-computed)', () => {
    const m = [
      ['i', 'am', 'fine'],
      ['i', 'am', 'here'],
    ];
    expect(distinctN(m, 1)).toBeCloseTo(4 / 6, 12);
    // bigrams: i am, am fine, i am, am here -> 3 distinct of 4 ("fine i" would cross messages)
    expect(distinctN(m, 2)).toBeCloseTo(3 / 4, 12);
    expect(distinctN(m, 3)).toBe(1);
  });

  it('is null when no message has n tokens, and rejects a bad n', () => {
    expect(distinctN([['a'], ['b']], 2)).toBeNull();
    expect(distinctN([], 1)).toBeNull();
    expect(() => distinctN([['a']], 0)).toThrow(InvalidOptionsError);
    expect(() => distinctN([['a']], 1.5)).toThrow(InvalidOptionsError);
  });
});

describe('type-token ratios', () => {
  it('computes the plain ratio', () => {
    expect(typeTokenRatio(['a', 'b', 'a', 'c'])).toBe(0.75);
    expect(typeTokenRatio([])).toBeNull();
  });

  it('averages the ratio over every window (hand-computed)', () => {
    expect(movingAverageTtr(['a', 'a', 'b'], 2)).toBe(0.75); // aa 0.5, ab 1
    expect(movingAverageTtr(['a', 'b', 'a', 'b'], 2)).toBe(1);
    // windows of 3 over a a a b b: aaa 1/3, aab 2/3, abb 2/3 -> 5/9
    expect(movingAverageTtr(['a', 'a', 'a', 'b', 'b'], 3)).toBeCloseTo(5 / 9, 12);
  });

  it('equals the plain ratio for texts no longer than the window', () => {
    expect(movingAverageTtr(['a', 'b', 'a', 'c'], 4)).toBe(0.75);
    expect(movingAverageTtr(['a', 'b', 'a', 'c'], 50)).toBe(0.75);
    expect(movingAverageTtr([], 50)).toBeNull();
    expect(() => movingAverageTtr(['a'], 0)).toThrow(InvalidOptionsError);
  });
});

describe('selfRepetition', () => {
  it('counts n-gram occurrences shared with another message (hand-computed)', () => {
    // 3-grams: {how are you} | {and how are, how are you}: "how are you" is shared, 2 of 3 occurrences
    expect(
      selfRepetition(
        [
          ['how', 'are', 'you'],
          ['and', 'how', 'are', 'you'],
        ],
        3,
      ),
    ).toBeCloseTo(2 / 3, 12);
  });

  it('ignores repetition inside a single message', () => {
    expect(
      selfRepetition(
        [
          ['a', 'b', 'a', 'b'],
          ['c', 'd'],
        ],
        2,
      ),
    ).toBe(0);
  });

  it('is null with fewer than two messages long enough', () => {
    expect(selfRepetition([['a', 'b', 'c']], 3)).toBeNull();
    expect(
      selfRepetition(
        [
          ['a', 'b', 'c'],
          ['a', 'b'],
        ],
        3,
      ),
    ).toBeNull();
  });

  it('is 1 when every message is the same', () => {
    const m = ['what', 'do', 'you', 'do'];
    expect(selfRepetition([m, m, m], 3)).toBe(1);
  });
});

describe('compressionRatio', () => {
  it('is UTF-8 bytes over raw DEFLATE bytes', () => {
    const text = 'hi there! how are you doing today? 😂';
    const bytes = Buffer.byteLength(text, 'utf8');
    expect(compressionRatio(text)).toBe(bytes / deflateRawSync(Buffer.from(text), { level: 9 }).length);
  });

  it('is higher for repetitive text', () => {
    const rep = compressionRatio('What do you do for fun ? '.repeat(8))!;
    const varied = compressionRatio(
      'Honestly the ramen by the station closed, try the tiny place on 3rd st instead',
    )!;
    expect(rep).toBeGreaterThan(3);
    expect(varied).toBeLessThan(1.5);
  });

  it('is null for the empty text', () => {
    expect(compressionRatio('')).toBeNull();
  });
});

describe('lexicalDiversity', () => {
  it('measures a scripted speaker (hand-computed)', () => {
    const messages = ['What do you do for fun ?', 'I like food . What do you do for fun ?'];
    const d = lexicalDiversity(messages);
    // tokens: what do you do for fun | i like food what do you do for fun -> 15 tokens, 8 types
    expect(d.tokens).toBe(15);
    expect(d.distinct1).toBeCloseTo(8 / 15, 12);
    // bigrams: 5 + 8 = 13, distinct 5 + 3 (i like, like food, food what) = 8
    expect(d.distinct2).toBeCloseTo(8 / 13, 12);
    expect(d.typeTokenRatio).toBeCloseTo(8 / 15, 12); // shorter than the 50-token window
    // 3-grams: 4 + 7 = 11; the 4 of message 1 all recur in message 2 -> 8 / 11
    expect(d.selfRepetition).toBeCloseTo(8 / 11, 12);
    expect(d.compressionRatio).toBe(compressionRatio(messages.join('\n')));
  });

  it('gives nulls, not zeros, when nothing can be measured', () => {
    expect(lexicalDiversity([])).toEqual({
      tokens: 0,
      distinct1: null,
      distinct2: null,
      typeTokenRatio: null,
      selfRepetition: null,
      compressionRatio: null,
    });
    const one = lexicalDiversity(['ok']);
    expect(one.distinct1).toBe(1);
    expect(one.distinct2).toBeNull();
    expect(one.selfRepetition).toBeNull();
  });

  it('uses its options and rejects bad ones', () => {
    const tokens = 'a b c d a b c d'.split(' ');
    expect(lexicalDiversity([tokens.join(' ')], { mattrWindow: 4 }).typeTokenRatio).toBe(1);
    expect(lexicalDiversity([tokens.join(' ')]).typeTokenRatio).toBe(0.5);
    expect(lexicalDiversity(['a b', 'a b'], { selfRepetitionN: 2 }).selfRepetition).toBe(1);
    expect(() => lexicalDiversity(['a'], { mattrWindow: 0 })).toThrow(InvalidOptionsError);
    expect(() => lexicalDiversity(['a'], { selfRepetitionN: -1 })).toThrow(InvalidOptionsError);
  });
});
