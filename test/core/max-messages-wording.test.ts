import { describe, expect, it } from 'vitest';
import { validateTranscript } from '../../src/core/validate.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';

const chat = { messages: [{ speaker: 'a', text: 'hi' }] };

/** The message of what `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('a maxMessages below the least allowed is refused as maxMessages, saying what is valid', () => {
  it('maxMessages: 0 names maxMessages and the least it may be, not a minMessages never given', () => {
    const msg = refusal(() => validateTranscript(chat, { maxMessages: 0 }));
    expect(msg).toBe(
      'Invalid option "maxMessages": expected a whole number of messages, at least 1 (the default minMessages), got 0',
    );
    expect(msg).not.toContain('minMessages":');
  });

  it('a negative maxMessages gets the same words (0 is a non-negative integer too)', () => {
    expect(refusal(() => validateTranscript(chat, { maxMessages: -1 }))).toBe(
      'Invalid option "maxMessages": expected a whole number of messages, at least 1 (the default minMessages), got -1',
    );
  });

  it('with minMessages given, maxMessages below it names both, and 0 / 0 is accepted', () => {
    expect(refusal(() => validateTranscript(chat, { minMessages: 5, maxMessages: 3 }))).toBe(
      'Invalid option "maxMessages": expected a whole number of messages, at least 5 (minMessages), got 3',
    );
    expect(() =>
      validateTranscript(
        { messages: [] as { speaker: string; text: string }[], target: 'a' },
        {
          minMessages: 0,
          maxMessages: 0,
        },
      ),
    ).not.toThrow(/maxMessages/);
  });

  it("a detector's limits and its stream's limits say the same", () => {
    expect(refusal(() => new HeuristicDetector({ limits: { maxMessages: 0 } }))).toMatch(
      /^Invalid option "(limits\.)?maxMessages": expected a whole number of messages, at least 1/,
    );
    expect(
      refusal(() => new HeuristicDetector().stream({ target: 'a', limits: { maxMessages: 0 } })),
    ).toMatch(/^Invalid option "(limits\.)?maxMessages": expected a whole number of messages, at least 1/);
  });
});
