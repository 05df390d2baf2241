/**
 * One rule for timestamps before 1970 (refused, as strings and as numbers, so a validated transcript always
 * validates again), and zone words read the same after ISO's `T` as after a space.
 */
import { describe, expect, it } from 'vitest';
import { timestampMs } from '../src/core/iso-time.js';
import { validateTranscript } from '../src/core/validate.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';

const one = (timestamp: string | number) => ({
  target: 'a',
  messages: [{ speaker: 'a', text: 'hi', timestamp }],
});

describe('timestamps before 1970', () => {
  it('are refused with a message that says so, whatever their shape', () => {
    for (const s of [
      '1960-01-01T00:00:00Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:30:00+01:00',
      '0049-01-01',
    ]) {
      expect(timestampMs(s), s).toBeNaN();
      expect(() => validateTranscript(one(s)), s).toThrow(InvalidTranscriptError);
      expect(() => validateTranscript(one(s)), s).toThrow(`"${s}" is before 1970-01-01T00:00:00Z`);
    }
  });

  it('validated output validates again (the epoch itself and just after it included)', () => {
    for (const s of [
      '1970-01-01T00:00:00Z',
      '1970-01-01T01:00:00+01:00',
      '1970-01-01T00:00:00.001Z',
      '1970-01-02',
    ]) {
      const once = validateTranscript(one(s));
      expect(once.messages[0]!.timeMs, s).toBeGreaterThanOrEqual(0);
      expect(validateTranscript(once).messages[0]!.timeMs, s).toBe(once.messages[0]!.timeMs);
    }
  });
});

describe('zone words after a T date-time', () => {
  it('are read as after a space, as the docs say: EST, UTC, GMT and PM kept', () => {
    const cases: [string, number][] = [
      ['2024-01-01T10:00:05 EST', Date.UTC(2024, 0, 1, 15, 0, 5)],
      ['2024-01-01T10:00:05 UTC', Date.UTC(2024, 0, 1, 10, 0, 5)],
      ['2024-01-01T10:00:05 GMT', Date.UTC(2024, 0, 1, 10, 0, 5)],
      ['2024-07-01T10:00 PM', Date.UTC(2024, 6, 1, 22)],
      ['2024-07-01t10:00:05 (server time)', Date.UTC(2024, 6, 1, 10, 0, 5)],
    ];
    for (const [s, want] of cases) {
      expect(timestampMs(s), s).toBe(want);
      expect(timestampMs(`${s.slice(0, 10)} ${s.slice(11)}`), s).toBe(want);
      expect(validateTranscript(one(s)).messages[0]!.timeMs, s).toBe(want);
    }
    // An offset that Date.parse refuses after T stays refused.
    expect(timestampMs('2024-05-01T10:00:00+24:00')).toBeNaN();
  });
});
