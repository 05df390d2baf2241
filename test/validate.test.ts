import { describe, expect, it } from 'vitest';
import { checkTranscript } from '../src/core/checked-transcript.js';
import { sharedRegistryKey } from '../src/core/shared-across-copies.js';
import { DEFAULT_LIMITS, validateTranscript } from '../src/core/validate.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { BotlensError } from '../src/errors/botlens-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';

function issuesOf(input: unknown, limits?: Parameters<typeof validateTranscript>[1]) {
  try {
    validateTranscript(input, limits);
  } catch (err) {
    expect(InvalidTranscriptError.isInstance(err)).toBe(true);
    return (err as InvalidTranscriptError).issues;
  }
  throw new Error('expected validation to fail');
}

const two = [
  { speaker: 'a', text: 'hi' },
  { speaker: 'b', text: 'hello' },
];

describe('validateTranscript', () => {
  it('resolves the target of a single-speaker transcript and freezes the result', () => {
    const v = validateTranscript({ messages: [{ speaker: 'solo', text: 'hi' }] });
    expect(v.target).toBe('solo');
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(v.messages[0])).toBe(true);
  });

  it('returns an already validated transcript as is', () => {
    const v = validateTranscript({ messages: two, target: 'a' });
    expect(validateTranscript(v)).toBe(v);
  });

  it('re-checks a validated transcript against stricter limits, keeping its timestamps', () => {
    const v = validateTranscript({
      messages: [{ speaker: 'a', text: 'x', timestamp: 5 }, ...two],
      target: 'a',
    });
    expect(issuesOf(v, { maxMessages: 2 })[0]!.path).toBe('messages');
    expect(validateTranscript(v, { maxMessages: 3 }).messages[0]!.timeMs).toBe(5);
    expect(v.messages[0]).toEqual({ speaker: 'a', text: 'x', timestamp: 5, timeMs: 5 });
  });

  it('requires a target when there are several speakers, naming them', () => {
    const issues = issuesOf({ messages: two });
    expect(issues[0]!.path).toBe('target');
    expect(issues[0]!.message).toContain('"a", "b"');
  });

  it('rejects an unknown target', () => {
    const issues = issuesOf({ messages: two, target: 'c' });
    expect(issues).toEqual([{ path: 'target', message: expect.stringContaining('"c" sent no message') }]);
  });

  it('rejects non-objects, missing messages and wrong types with the field path', () => {
    expect(issuesOf(null)[0]!.message).toContain('transcript must be an object');
    expect(issuesOf('hello')[0]!.message).toContain('transcript must be an object');
    expect(issuesOf({})[0]!.path).toBe('messages');
    expect(issuesOf({ messages: [{ speaker: 'a', text: 3 }] })[0]!.path).toBe('messages[0].text');
    expect(issuesOf({ messages: [{ speaker: '', text: 'x' }] })[0]!.message).toContain('speaker is empty');
    expect(issuesOf({ messages: [{ speaker: 'a', text: 'x' }], target: 7 })[0]!.path).toBe('target');
  });

  it('enforces message count limits, default 1..200, configurable', () => {
    expect(issuesOf({ messages: [] })[0]!.message).toContain('at least 1');
    const many = Array.from({ length: 201 }, (_, i) => ({ speaker: 'a', text: String(i) }));
    expect(issuesOf({ messages: many })[0]!.message).toContain('more than 200');
    expect(validateTranscript({ messages: many }, { maxMessages: 300 }).messages).toHaveLength(201);
    expect(validateTranscript({ messages: many.slice(0, 200) }).messages).toHaveLength(200);
  });

  it('rejects invalid limits with InvalidOptionsError', () => {
    expect(() => validateTranscript({ messages: two, target: 'a' }, { maxMessages: -1 })).toThrow(
      InvalidOptionsError,
    );
    expect(() =>
      validateTranscript({ messages: two, target: 'a' }, { minMessages: 5, maxMessages: 2 }),
    ).toThrow(/minMessages/);
  });

  it('accepts empty text and rejects huge text with the limit in the message', () => {
    expect(validateTranscript({ messages: [{ speaker: 'a', text: '' }] }).messages[0]!.text).toBe('');
    const issues = issuesOf({ messages: [{ speaker: 'a', text: 'x'.repeat(10_001) }] });
    expect(issues[0]!.path).toBe('messages[0].text');
    expect(issues[0]!.message).toContain('10000');
  });

  it('keeps emoji, RTL text and combining marks byte for byte', () => {
    const texts = ['lol 😂👍🏽', 'مرحبا كيف حالك', 'e\u0301te\u0301 cafe\u0301', '👨‍👩‍👧‍👦'];
    const v = validateTranscript({ messages: texts.map((text) => ({ speaker: 'ü', text })) });
    expect(v.messages.map((m) => m.text)).toEqual(texts);
    expect(v.target).toBe('ü');
  });

  it('refuses a lone surrogate in a text, a speaker or a bio, naming the message and the field', async () => {
    const lone = issuesOf({
      messages: [
        { speaker: 'a', text: 'a pair is fine: \ud83d\ude00' },
        { speaker: 'a', text: 'cut in half \ud83d' },
        { speaker: '\udc00bot', text: 'ok' },
      ],
      target: 'a',
      profile: { bio: 'x\ud800' },
    });
    expect(lone.map((i) => i.path)).toEqual(['messages[1].text', 'messages[2].speaker', 'profile.bio']);
    expect(lone[0]!.message).toMatch(
      /^text holds a lone UTF-16 surrogate .* cannot be written as UTF-8: fix .*toWellFormed/,
    );
    // Streams check each pushed message with the same rule.
    const live = new HeuristicDetector().stream({ target: 'a' });
    await expect(live.push({ speaker: 'a', text: 'end \udfff' })).rejects.toSatisfy(
      (e: unknown) => InvalidTranscriptError.isInstance(e) && e.issues[0]!.path === 'messages[0].text',
    );
  });

  it('normalizes ISO and epoch-ms timestamps to milliseconds', () => {
    const v = validateTranscript({
      messages: [
        { speaker: 'a', text: '1', timestamp: '2024-05-01T10:00:00Z' },
        { speaker: 'a', text: '2', timestamp: Date.UTC(2024, 4, 1, 10, 0, 5) },
        { speaker: 'a', text: '3' },
      ],
    });
    expect(v.messages.map((m) => m.timeMs)).toEqual([
      Date.UTC(2024, 4, 1, 10),
      Date.UTC(2024, 4, 1, 10, 0, 5),
      undefined,
    ]);
  });

  it('rejects timestamps that go backwards, are not ISO, or are not finite', () => {
    const back = issuesOf({
      messages: [
        { speaker: 'a', text: '1', timestamp: 2000 },
        { speaker: 'a', text: '2' },
        { speaker: 'a', text: '3', timestamp: 1000 },
      ],
    });
    expect(back[0]).toEqual({
      path: 'messages[2].timestamp',
      message: expect.stringContaining('messages[0]'),
    });
    expect(
      issuesOf({ messages: [{ speaker: 'a', text: '1', timestamp: 'yesterday' }] })[0]!.message,
    ).toContain('ISO 8601');
    // A date the calendar does not have is refused, not read as the next month's (Date.parse: 2023-03-02).
    for (const timestamp of [
      '2023-02-30T10:00:00Z',
      '2023-02-29T10:00:00.000Z',
      '2024-04-31T10:00:00+02:00',
    ]) {
      expect(issuesOf({ messages: [{ speaker: 'a', text: '1', timestamp }] })[0], timestamp).toEqual({
        path: 'messages[0].timestamp',
        message: expect.stringContaining('real calendar date'),
      });
    }
    expect(issuesOf({ messages: [{ speaker: 'a', text: '1', timestamp: Number.NaN }] })[0]!.path).toBe(
      'messages[0].timestamp',
    );
    expect(issuesOf({ messages: [{ speaker: 'a', text: '1', timestamp: -5 }] })[0]!.path).toBe(
      'messages[0].timestamp',
    );
  });

  it('orders offset timestamps by the instant they name, in checkTranscript as in validateTranscript', () => {
    // 10:00+02:00 is 08:00Z: before 09:00Z, though its clock reads later. Days 29-31 and fractions on the way.
    const forward = {
      target: 'a',
      messages: [
        { speaker: 'a', text: '1', timestamp: '2024-02-29T10:00:00.250+02:00' },
        { speaker: 'b', text: '2', timestamp: '2024-02-29T09:00:00Z' },
        { speaker: 'a', text: '3', timestamp: '2024-02-29T23:30:00-01:00' },
        { speaker: 'b', text: '4', timestamp: '2024-03-01T00:31:00.000Z' },
      ],
    };
    const want = forward.messages.map((m) => Date.parse(m.timestamp));
    expect(validateTranscript(forward).messages.map((m) => m.timeMs)).toEqual(want);
    expect(Array.from(checkTranscript(forward).timeMs.subarray(0, 4))).toEqual(want);
    const backward = {
      target: 'a',
      messages: [
        { speaker: 'a', text: '1', timestamp: '2024-02-29T09:00:00Z' },
        { speaker: 'b', text: '2', timestamp: '2024-02-29T10:00:00+02:00' },
      ],
    };
    for (const check of [validateTranscript, checkTranscript]) {
      let issues: unknown;
      try {
        check(backward);
      } catch (e) {
        issues = (e as InvalidTranscriptError).issues;
      }
      expect(issues).toEqual([
        { path: 'messages[1].timestamp', message: expect.stringContaining('goes backwards') },
      ]);
    }
  });

  it('checks the profile', () => {
    expect(issuesOf({ messages: two, target: 'a', profile: { avatar: 5 } })[0]!.path).toBe('profile.avatar');
    expect(issuesOf({ messages: two, target: 'a', profile: { bio: 'x'.repeat(5001) } })[0]!.path).toBe(
      'profile.bio',
    );
    const v = validateTranscript({
      messages: two,
      target: 'a',
      profile: { bio: 'hi', avatar: new Uint8Array([1, 2]) },
    });
    expect(v.profile?.avatar).toBeInstanceOf(Uint8Array);
  });

  it('reports every problem at once and stays a BotlensError', () => {
    try {
      validateTranscript({ messages: [{ speaker: '', text: 1 }, { speaker: 'b' }] });
      expect.unreachable();
    } catch (err) {
      expect(BotlensError.isInstance(err)).toBe(true);
      expect((err as InvalidTranscriptError).issues.length).toBeGreaterThanOrEqual(3);
      expect((err as Error).message).toMatch(/^Invalid transcript:/);
    }
  });

  it('validates a 200-message transcript quickly', () => {
    const msgs = Array.from({ length: 200 }, (_, i) => ({
      speaker: i % 2 ? 'a' : 'b',
      text: 'some words here '.repeat(5),
      timestamp: i * 1000,
    }));
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) validateTranscript({ messages: msgs, target: 'a' });
    expect((performance.now() - t0) / 100).toBeLessThan(5);
  });
});

describe('the registry of validated transcripts', () => {
  it('takes no object on its word that is not frozen as validateTranscript returns it', async () => {
    // Any code can reach the registry by its public symbol and put an object of its own in it.
    const registry = (globalThis as unknown as Record<symbol, WeakMap<object, unknown>>)[
      sharedRegistryKey('validated-transcripts')
    ]!;
    const valid = validateTranscript({ target: 'bot', messages: [{ speaker: 'bot', text: 'hi' }] });
    expect(registry.get(valid)).toBeDefined();
    expect(Object.isFrozen(valid) && Object.isFrozen(valid.messages)).toBe(true);
    expect(validateTranscript(valid)).toBe(valid);

    const forged = {
      target: 'bot',
      messages: [
        { speaker: 'bot', text: 'hi', timeMs: 5 },
        { speaker: 42, text: 'y' },
      ],
    };
    registry.set(forged, DEFAULT_LIMITS);
    expect(() => validateTranscript(forged)).toThrow(InvalidTranscriptError);
    await expect(new HeuristicDetector().detect(forged as never)).rejects.toThrow(InvalidTranscriptError);
    // Frozen, but with a messages array that is not: validated again too.
    const half = Object.freeze({ target: 'bot', messages: [{ speaker: 'bot', text: 'x'.repeat(20_000) }] });
    registry.set(half, DEFAULT_LIMITS);
    expect(() => validateTranscript(half)).toThrow(InvalidTranscriptError);
  });
});

describe('records the data reader validated', () => {
  it('trusts a recorded copy only when validateTranscript made it', async () => {
    const { rememberValidated, validateKnown, validateTranscriptAt } = await import(
      '../src/core/validate-examples.js'
    );
    const long = {
      target: 'bot',
      messages: Array.from({ length: 250 }, (_, i) => ({ speaker: i % 2 ? 'bot' : 'h', text: `m${i}` })),
    };
    // What the data reader does for a long chat read with a raised maxMessages: accepted later as read.
    const valid = validateTranscript(long, { maxMessages: 300 });
    rememberValidated(long, valid);
    expect(validateKnown(long)).toBe(valid);
    expect(validateTranscriptAt(long, 'examples[0]')).toBe(valid);

    // Any code can reach the registry by its public symbol: a copy it made up is checked, not trusted.
    const registry = (globalThis as unknown as Record<symbol, WeakMap<object, unknown>>)[
      sharedRegistryKey('validated-examples')
    ]!;
    const example = { target: 'bot', messages: [{ speaker: 'bot', text: 'hi' }] };
    registry.set(
      example,
      Object.freeze({ target: 'bot', messages: Object.freeze([{ speaker: 7, text: 'x' }]) }),
    );
    expect(() => validateKnown(example)).toThrow(InvalidTranscriptError);
    expect(() => validateTranscriptAt(example, 'examples[3]')).toThrow(/examples\[3\]\.messages\[0\]/);
  });
});
