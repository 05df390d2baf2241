import { describe, expect, it } from 'vitest';
import type { Message } from '../src/core/transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import {
  STYLE_FEATURE_NAMES,
  TEXT_FEATURE_NAMES,
  TIMING_FEATURE_NAMES,
} from '../src/detectors/heuristic/style-feature-types.js';
import { computeStyleFeatures } from '../src/detectors/heuristic/style-features.js';
import {
  countEmoji,
  countLinks,
  hasTokenizerSpacing,
  lowercaseState,
  sentenceStats,
  words,
} from '../src/detectors/heuristic/text-utils.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';

function features(messages: Message[], target = 'b', options?: Parameters<typeof computeStyleFeatures>[1]) {
  return computeStyleFeatures(validateTranscript({ target, messages }), options);
}

function cv(xs: number[]): number {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length) / mean;
}

// The target 'b' answers 'a'. b1 and b4 are tokenizer-spaced and identical; b2 has two sentences, a question
// and an emoji; b3 is a one-word reply.
const B = ["i 'm from paris .", 'Do you like it? I do! 😍', 'ok', "i 'm from paris ."];
const SMALL: Message[] = [
  { speaker: 'a', text: 'Where are you from?' },
  { speaker: 'b', text: B[0]! },
  { speaker: 'a', text: 'Nice, I like Paris' },
  { speaker: 'b', text: B[1]! },
  { speaker: 'b', text: B[2]! },
  { speaker: 'a', text: 'Bye' },
  { speaker: 'b', text: B[3]! },
];

describe('computeStyleFeatures: text signals on a small case', () => {
  const { values: v, counts: c } = features(SMALL);

  it('counts the target messages and words', () => {
    expect(c.messages).toBe(4);
    expect(c.textMessages).toBe(4);
    expect(c.words).toBe(15); // 4 + 6 + 1 + 4
    expect(v.mean_words).toBeCloseTo(15 / 4, 12);
  });

  it('measures length variation, short replies, sentences and end punctuation', () => {
    expect(v.length_cv).toBeCloseTo(cv(B.map((t) => t.length)), 12);
    expect(v.short_reply_share).toBe(1 / 4); // "ok"
    expect(v.multi_sentence_share).toBe(1 / 4); // "Do you like it? I do!"
    expect(v.end_punctuation_share).toBe(3 / 4); // all but "ok"; "I do! 😍" still ends a sentence
  });

  it('measures questions, tokenizer spacing, trailing space, case and punctuation', () => {
    expect(v.question_rate).toBe(1 / 4);
    expect(v.tokenizer_spacing_share).toBe(2 / 4);
    expect(v.trailing_space_share).toBe(0);
    expect(v.lowercase_share).toBe(3 / 4);
    // Sentence starts: i, Do, I, ok, i -> 2 of 5 capitalised.
    expect(c.casedSentences).toBe(5);
    expect(v.capitalised_start_share).toBe(2 / 5);
    // Punctuation: ' . (x2 messages) ? ! = 6; non-space code points: 13 + 17 + 2 + 13.
    expect(v.punctuation_rate).toBeCloseTo(6 / 45, 12);
  });

  it('measures emoji and links', () => {
    expect(c.emoji).toBe(1);
    expect(v.emoji_rate).toBe(1 / 4);
    expect(v.link_rate).toBe(0);
  });

  it('measures exact and near repetition and echoing', () => {
    expect(c.exactRepeats).toBe(1);
    expect(v.exact_repeat_share).toBe(1 / 4);
    // b2 vs b1: {i} of 8 words; b3 vs both: 0; b4 vs b1: identical.
    expect(v.near_repeat_mean).toBeCloseTo((1 / 8 + 0 + 1) / 3, 12);
    // vs the other speaker's latest message: b1 1/7, b2 2/7, b3 0, b4 0 ("Bye").
    expect(v.echo_similarity).toBeCloseTo((1 / 7 + 2 / 7) / 4, 12);
  });

  it('leaves every timing signal missing without timestamps', () => {
    for (const name of TIMING_FEATURE_NAMES) expect(v[name]).toBeNull();
    expect(c.timedReplies).toBe(0);
  });

  it('lists every signal exactly once', () => {
    expect(Object.keys(v).sort()).toEqual([...STYLE_FEATURE_NAMES].sort());
    expect(new Set(STYLE_FEATURE_NAMES).size).toBe(TEXT_FEATURE_NAMES.length + TIMING_FEATURE_NAMES.length);
  });
});

describe('computeStyleFeatures: timing', () => {
  const timed: Message[] = [
    { speaker: 'a', text: 'hi', timestamp: 0 },
    { speaker: 'b', text: 'hello there', timestamp: 500 }, // reply after 500 ms: too fast
    { speaker: 'b', text: 'x', timestamp: 3000 }, // follows its own message: not a reply
    { speaker: 'a', text: 'how are you?', timestamp: 10_000 },
    { speaker: 'b', text: 'good thanks, you?', timestamp: 14_000 }, // 4 s, 17 chars
    { speaker: 'a', text: 'fine', timestamp: '1970-01-01T00:00:20.000Z' },
    { speaker: 'b', text: 'cool', timestamp: '1970-01-01T00:00:22.000Z' }, // 2 s, ISO timestamps
  ];

  it('measures reply delays, their spread, fast replies and typing speed', () => {
    const { values: v, counts: c } = features(timed);
    expect(c.timedReplies).toBe(3);
    expect(v.median_delay_ms).toBe(2000);
    expect(v.delay_cv).toBeCloseTo(cv([500, 4000, 2000]), 12);
    expect(c.fastReplies).toBe(1);
    expect(v.fast_reply_share).toBeCloseTo(1 / 3, 12);
    // chars per second: 11 / 0.5 = 22, 17 / 4 = 4.25, 4 / 2 = 2.
    expect(v.typing_speed_cps).toBe(4.25);
  });

  it('flags replies typed faster than maxHumanCharsPerSecond even after a long enough delay', () => {
    const v = features(timed, 'b', { maxHumanCharsPerSecond: 4 }).values;
    expect(v.fast_reply_share).toBeCloseTo(2 / 3, 12); // 22 and 4.25 chars/s
    const w = features(timed, 'b', { minHumanDelayMs: 0, maxHumanCharsPerSecond: 100 }).values;
    expect(w.fast_reply_share).toBe(0);
  });

  it('uses only replies where both messages carry a timestamp', () => {
    const partial = timed.map((m, i) => (i < 2 ? { speaker: m.speaker, text: m.text } : m));
    const v = features(partial).values;
    expect(v.median_delay_ms).toBe(3000); // 4000 and 2000 remain
    expect(features(timed.map(({ speaker, text }) => ({ speaker, text }))).values.median_delay_ms).toBeNull();
  });

  it('needs two timed replies for the delay spread', () => {
    const v = features(timed.slice(0, 2)).values;
    expect(v.median_delay_ms).toBe(500);
    expect(v.delay_cv).toBeNull();
  });

  it('rejects bad options with InvalidOptionsError', () => {
    expect(() => features(timed, 'b', { minHumanDelayMs: -1 })).toThrow(InvalidOptionsError);
    expect(() => features(timed, 'b', { maxHumanCharsPerSecond: 0 })).toThrow(InvalidOptionsError);
    expect(() => features(timed, 'b', { repeatWindow: 1.5 })).toThrow(InvalidOptionsError);
  });
});

describe('computeStyleFeatures: edge cases', () => {
  it('marks every text signal missing when the target sent only blank messages', () => {
    const { values: v, counts: c } = features([
      { speaker: 'a', text: 'hello?' },
      { speaker: 'b', text: '' },
      { speaker: 'b', text: '  \n ' },
    ]);
    expect(c.messages).toBe(2);
    expect(c.textMessages).toBe(0);
    for (const name of STYLE_FEATURE_NAMES) expect(v[name]).toBeNull();
  });

  it('leaves the repetition and spread signals missing for a single message', () => {
    const v = features([{ speaker: 'b', text: 'Hello there.' }]).values;
    expect(v.mean_words).toBe(2);
    expect(v.length_cv).toBeNull();
    expect(v.exact_repeat_share).toBeNull();
    expect(v.near_repeat_mean).toBeNull();
    expect(v.echo_similarity).toBeNull();
  });

  it('handles RTL text: words count, case signals are not measurable', () => {
    const v = features([
      { speaker: 'a', text: 'hi' },
      { speaker: 'b', text: 'مرحبا كيف حالك؟' },
      { speaker: 'b', text: 'שלום, מה שלומך?' },
    ]).values;
    expect(v.mean_words).toBe(3);
    expect(v.question_rate).toBe(1); // ؟ and ?
    expect(v.lowercase_share).toBeNull();
    expect(v.capitalised_start_share).toBeNull();
    expect(v.end_punctuation_share).toBe(1);
  });

  it('keeps combining marks inside words', () => {
    expect(words('cafe\u0301 na\u0308ive')).toEqual(['cafe\u0301', 'na\u0308ive']);
    expect(words("I'M here, don't GO")).toEqual(["i'm", 'here', "don't", 'go']);
    expect(words('')).toEqual([]);
    expect(words('🙂 !!')).toEqual([]);
  });
});

describe('text helpers', () => {
  it('counts emoji sequences once each', () => {
    expect(countEmoji('hi 😉')).toBe(1);
    expect(countEmoji('👨‍👩‍👧 family')).toBe(1); // ZWJ sequence
    expect(countEmoji('👍🏽👍')).toBe(2); // skin tone modifier stays with its emoji
    expect(countEmoji('❤️ 🇫🇷')).toBe(2); // variation selector; flag
    expect(countEmoji('1 # * :)')).toBe(0);
    expect(countEmoji('')).toBe(0);
  });

  it('counts links', () => {
    expect(countLinks('see https://example.com/a?b=1 and www.example.org now')).toBe(2);
    expect(countLinks('no links: example dot com, www.')).toBe(0);
  });

  it('recognises tokenizer spacing', () => {
    for (const t of ["i 'm fine", "I' m fine", "do n't go", 'hello , there', 'fine .', 'what ?']) {
      expect(hasTokenizerSpacing(t), t).toBe(true);
    }
    for (const t of ["I'm fine", 'hello, there.', 'well ... ok', "'quoted'", '']) {
      expect(hasTokenizerSpacing(t), t).toBe(false);
    }
  });

  it('reads case and sentence starts', () => {
    expect(lowercaseState('hello there')).toBe(true);
    expect(lowercaseState('Hello')).toBe(false);
    expect(lowercaseState('123 😀')).toBeNull();
    expect(sentenceStats('Hi there. how are you?\nÉcoute! 1. ok')).toEqual({
      sentences: 4,
      cased: 4,
      capitalised: 2,
    });
    expect(sentenceStats('')).toEqual({ sentences: 0, cased: 0, capitalised: 0 });
    expect(sentenceStats('你好。谢谢')).toEqual({ sentences: 1, cased: 0, capitalised: 0 });
  });
});
