import { describe, expect, it } from 'vitest';
import { checkTranscript } from '../../src/core/checked-transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { InvalidTranscriptError } from '../../src/errors/invalid-transcript-error.js';
import { thrownTranscriptIssues } from '../helpers/transcript-issues.js';

/** The issues `validateTranscript` throws for `input` (fails the test when it accepts it). */
const issuesOf = (input: unknown) => thrownTranscriptIssues(() => validateTranscript(input));

/** A two-speaker chat with `times` as the timestamps of its messages, in turn. */
const chat = (times: readonly number[]) => ({
  target: 'a',
  messages: times.map((timestamp, i) => ({ speaker: i % 2 ? 'b' : 'a', text: `m${i}`, timestamp })),
});

describe('numeric timestamps: epoch milliseconds only', () => {
  it('refuses epoch seconds (Python time.time(), Slack ts), naming the field, the value, what it reads as and the fix', () => {
    const issues = issuesOf(chat([1_700_000_000, 1_700_000_012.5]));
    expect(issues.map((i) => i.path)).toEqual(['messages[0].timestamp', 'messages[1].timestamp']);
    const message = issues[0]!.message;
    expect(message).toContain('1700000000');
    expect(message).toContain('epoch seconds (2023-11-14T22:13:20.000Z)');
    expect(message).toContain('1970-01-20T16:13:20.000Z');
    expect(message).toContain('multiply by 1000 for epoch milliseconds, or send ISO 8601');
    // Both ends of the range: 1e9 s is 2001-09-09, just under 1e10 s is 2286.
    expect(issuesOf(chat([1e9]))[0]!.path).toBe('messages[0].timestamp');
    expect(issuesOf(chat([1e10 - 1]))[0]!.path).toBe('messages[0].timestamp');
  });

  it('refuses numbers past the range of a Date (1e300 once gave "1.67e+295 min" of evidence)', () => {
    const issues = issuesOf(chat([1e300, 2e300]));
    expect(issues[0]).toEqual({
      path: 'messages[0].timestamp',
      message: expect.stringContaining('outside the range of a JavaScript Date'),
    });
    expect(issuesOf(chat([8.64e15 + 1]))[0]!.message).toContain('outside the range');
    expect(validateTranscript(chat([8.64e15])).messages[0]!.timeMs).toBe(8.64e15);
  });

  it('keeps relative milliseconds and real epoch milliseconds valid', () => {
    for (const times of [
      [0, 1000, 2000],
      [0, 999_999_999], // 11.5 days from 0: still relative
      [1e10, 1e10 + 5000], // 1970-04-26 in ms: past the seconds range
      [1_700_000_000_000, 1_700_000_009_000],
    ]) {
      const v = validateTranscript(chat(times));
      expect(v.messages.map((m) => m.timeMs)).toEqual(times);
      // The fast path (what detectors take) agrees.
      expect(checkTranscript(chat(times))?.timeMs.slice(0, times.length)).toEqual(Float64Array.from(times));
    }
  });

  it('refuses epoch seconds in detect() and in a stream pushed a message at a time', async () => {
    const d = new HeuristicDetector();
    await expect(d.detect(chat([1_700_000_000, 1_700_000_010]))).rejects.toThrow(
      /messages\[0\]\.timestamp.*multiply by 1000/,
    );
    const s = d.stream({ target: 'a' });
    await s.push({ speaker: 'a', text: 'hi', timestamp: 1_700_000_000_000 });
    const err = await s.push({ speaker: 'b', text: 'hello', timestamp: 1_700_000_010 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(InvalidTranscriptError.isInstance(err)).toBe(true);
    expect((err as InvalidTranscriptError).issues[0]).toEqual({
      path: 'messages[1].timestamp',
      message: expect.stringContaining('multiply by 1000'),
    });
  });
});
