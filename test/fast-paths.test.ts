import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTranscript } from '../src/core/checked-transcript.js';
import { IsoTimeReader, timestampMs } from '../src/core/iso-time.js';
import { matchesTranscriptSchema, transcriptSchema, validateTranscript } from '../src/core/validate.js';
import {
  MessageScan,
  scanMessage,
  scanReference,
  scanWords,
} from '../src/detectors/heuristic/message-scan.js';
import { countPunctuation, hasTokenizerSpacing, words } from '../src/detectors/heuristic/text-utils.js';
import { WordTable } from '../src/detectors/heuristic/word-table.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';

// Bounded runs: enough cases to find a disagreement in the character classes, quick on a busy machine.
const RUNS = { numRuns: 1500, seed: 42 };

/** Text built from the characters the scanners treat specially, ASCII and beyond. */
const tricky = fc
  .array(
    fc.constantFrom(
      'a',
      'B',
      'z',
      'n',
      't',
      'w',
      'W',
      '0',
      '9',
      '_',
      ' ',
      ' ',
      '\t',
      '\n',
      '\r',
      '.',
      '!',
      '?',
      ',',
      ';',
      ':',
      "'",
      '"',
      ')',
      ']',
      '(',
      '/',
      '-',
      '$',
      '+',
      'www.',
      '://',
      "n't",
      " n't",
      "i 'm",
      '...',
      'é',
      '’',
      '😂',
      '\u00a0',
      'İ',
      'ß',
      'Σ',
      '？',
      '…',
      '\u200d',
      '\ufe0f',
    ),
    { maxLength: 24 },
  )
  .map((xs) => xs.join(''));
/** Words of 1 to 14 letters, digits and apostrophes (both sides of the 8-character exact keys), spaced. */
const wordy = fc
  .array(
    fc.string({ unit: fc.constantFrom('a', 'B', 'z', 'Q', '0', '7', "'"), minLength: 1, maxLength: 14 }),
    { maxLength: 12 },
  )
  .map((ws) => ws.join(' '));
const asciiText = fc.string({
  unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

/** What a scan measured: all but its word ids and the ASCII scan's scratch. */
function counts(s: MessageScan): Partial<MessageScan> {
  const { ids: _ids, wordFlags: _f, innerApostrophes: _a, spacedNegation: _n, ...measured } = s;
  return measured;
}

describe('scanMessage agrees with the text-utils helpers it fuses', () => {
  it.each([
    ['tricky characters', tricky],
    ['any ASCII', asciiText],
    ['words of every length', wordy],
    ['any string', fc.string({ unit: 'grapheme', maxLength: 20 })],
  ])('on %s', (_, arb) => {
    fc.assert(
      fc.property(arb, (text) => {
        const table = new WordTable();
        const s = new MessageScan();
        scanMessage(text, table, s);
        // Ids are labels: the same word always gets the same one (and distinct words distinct ones, see the
        // vocabulary test below), so looking the reference words up gives the ids the scan found.
        expect(Array.from(s.ids.subarray(0, s.wordCount))).toEqual(words(text).map((w) => table.idOf(w)));
        // The words-only scan (the other speaker's messages) finds the same words, to the same ids.
        const w = new MessageScan();
        scanWords(text, table, w);
        expect(Array.from(w.ids.subarray(0, w.wordCount))).toEqual(
          Array.from(s.ids.subarray(0, s.wordCount)),
        );
        expect(s.blank).toBe(text.trim() === '');
        // Every count equals the reference definitions' (scanReference: the text-utils helpers one by one).
        const r = new MessageScan();
        scanReference(text, table, r);
        expect(counts(s)).toEqual(counts(r));
      }),
      RUNS,
    );
  });

  it('interns words from ASCII scans and from word lists to the same ids', () => {
    const table = new WordTable();
    const s = new MessageScan();
    scanMessage("Don't STOP me now", table, s);
    expect(["don't", 'stop', 'me', 'now'].map((w) => table.idOf(w))).toEqual(
      Array.from(s.ids.subarray(0, 4)),
    );
    scanMessage('naïve stop', table, s); // not ASCII: the regex path
    expect(s.ids[1]).toBe(table.idOf('stop'));
  });
});

/**
 * The reference definition of a string timestamp: an ISO-shaped date in front that the calendar has (built on
 * Date, independently of the reader's arithmetic), then whatever Date.parse gives (in UTC when it has no zone).
 */
const referenceMs = (s: string): number => {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (m === null) return Number.NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(0);
  day.setUTCFullYear(y, mo - 1, d);
  const exists = day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
  if (!exists) return Number.NaN;
  // A date-time with no zone is read as UTC (Date.parse would read it in the machine's zone).
  const parse = (t: string) =>
    Date.parse(/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t) ? `${t}Z` : t);
  let ms = parse(s);
  // What Date.parse reads only after a space (a zone word, PM) is read after ISO's T too.
  if (Number.isNaN(ms) && /^.{10}[Tt]/.test(s) && /[a-z]/i.test(s.slice(11)))
    ms = parse(`${s.slice(0, 10)} ${s.slice(11)}`);
  // Before 1970 a time would be a negative number, which validation refuses.
  return ms >= 0 ? ms : Number.NaN;
};

/** Near-ISO strings: every field a little out of range now and then, fractions of 0-4 digits, many zones. */
const shapedIso = fc
  .tuple(
    fc.integer({ min: 1960, max: 2100 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.integer({ min: 0, max: 61 }),
    fc.option(fc.stringMatching(/^\d{0,4}$/)),
    fc.constantFrom(
      'Z',
      'z',
      '',
      '+01:00',
      '-05:30',
      '+23:59',
      '+24:00',
      '-00:00',
      '+00:60',
      '+0100',
      '+1:00',
      '*01:00',
      '+01-00',
      '+01:0a',
    ),
    fc.constantFrom('T', 't', ' '),
  )
  .map(([y, mo, d, h, mi, s, frac, zone, sep]) => {
    const p = (v: number, n = 2) => String(v).padStart(n, '0');
    return `${p(y, 4)}-${p(mo)}-${p(d)}${sep}${p(h)}:${p(mi)}:${p(s)}${frac === null ? '' : `.${frac}`}${zone}`;
  });

/** A one-character change (replace, insert or delete) somewhere in `s`. */
const mutated = (s: string) =>
  fc
    .tuple(fc.nat({ max: s.length }), fc.constantFrom('', '0', '9', ':', '-', 'T', 'Z', '.', '+', 'x', ' '))
    .chain(([at, c]) =>
      fc.constantFrom(s.slice(0, at) + c + s.slice(at + 1), s.slice(0, at) + c + s.slice(at)),
    );

/** What validation takes a timestamp for: a number of epoch milliseconds as given, a string as the reference. */
/**
 * The reference of a numeric timestamp: epoch milliseconds a Date can hold (0 to 8.64e15), except 1e9 to 1e10,
 * which is epoch seconds (2001-2286) read as January-April 1970.
 */
const referenceNumberMs = (ts: number): number =>
  ts >= 0 && !Number.isNaN(new Date(ts).getTime()) && !(ts >= 1e9 && ts < 1e10) ? ts : Number.NaN;

const referenceOf = (ts: number | string): number =>
  typeof ts === 'number' ? referenceNumberMs(ts) : referenceMs(ts);

/**
 * Checks `readAll` on `list` (`undefined` is a message without a timestamp) against the reference: each time up
 * to the first that is not a timestamp or goes backwards, and false exactly when there is one.
 */
function expectReadAll(
  r: IsoTimeReader,
  list: readonly (number | string | undefined)[],
  times: Float64Array,
) {
  const ok = r.readAll(
    list.map((timestamp) => ({ timestamp })),
    times,
  );
  let last = Number.NEGATIVE_INFINITY;
  for (const [i, ts] of list.entries()) {
    if (ts === undefined) {
      expect(times[i]).toBeNaN();
      continue;
    }
    const want = referenceOf(ts);
    if (!(want >= last)) {
      expect(ok, `${String(ts)} after ${last}`).toBe(false);
      return;
    }
    expect(times[i], String(ts)).toBe(want);
    last = want;
  }
  expect(ok).toBe(true);
}

describe('IsoTimeReader', () => {
  const out = new Float64Array(1);
  /** What the reader's fast path gives for `s`, or undefined when it hands `s` to Date.parse. */
  const fast = (r: IsoTimeReader, s: string): number | undefined =>
    r.fastInto(s, out, 0) >= 0 ? out[0] : undefined;

  it('gives the reference value for every string, on its fast path or not', () => {
    const r = new IsoTimeReader();
    fc.assert(
      fc.property(fc.oneof(shapedIso, shapedIso.chain(mutated), fc.string({ maxLength: 30 })), (s) => {
        r.reset();
        const f = fast(r, s);
        if (f !== undefined) expect(f).toBe(referenceMs(s));
        expect(timestampMs(s)).toBe(referenceMs(s));
      }),
      { ...RUNS, numRuns: 6000 },
    );
  });

  it('reads a whole transcript’s timestamps in order as the reference does, whatever came before', () => {
    // Sequences that share dates and months, with broken ones among them: the remembered month must never
    // leak into a string it does not belong to.
    const r = new IsoTimeReader();
    const times = new Float64Array(40);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            shapedIso,
            shapedIso.chain(mutated),
            fc.oneof(
              fc.integer({ min: -5, max: 2e12 }),
              fc.integer({ min: 9e8, max: 2e10 }),
              fc.double({ min: 8.6e15, max: 8.7e15 }),
            ),
          ),
          {
            maxLength: 40,
          },
        ),
        (list) => {
          r.reset();
          for (let i = 0; i < list.length; i++) r.timestampInto(list[i]!, times, i);
          list.forEach((ts, i) => {
            expect(times[i]).toBe(referenceOf(ts));
          });
          expectReadAll(r, list, times);
        },
      ),
      RUNS,
    );
  });

  it('reads the second of a same-hour pair with any one code unit replaced as the reference does', () => {
    // Deterministic: every index of the second string, each replacement, after a first string it took. Each check
    // of readAll's same-hour path (every code unit of the hour, every digit of the minutes and seconds, the
    // separators, the fraction and the Z) has a case here that only that check rejects or reads right.
    const r = new IsoTimeReader();
    const times = new Float64Array(2);
    const pairs = [
      ['2024-01-01T10:00:00Z', '2024-01-01T10:37:48Z'],
      ['2024-01-01T19:05:00Z', '2024-01-01T19:59:59Z'],
      ['2031-12-31T23:00:00.000Z', '2031-12-31T23:37:48.123Z'],
      ['1999-09-09T09:09:09.999Z', '1999-09-09T09:59:59.999Z'],
    ] as const;
    let cases = 0;
    for (const [first, second] of pairs) {
      for (let at = 0; at < second.length; at++) {
        for (const c of ['0', '9', ':', '-', 'T', 'Z', 'z', '.', 'x']) {
          expectReadAll(r, [first, second.slice(0, at) + c + second.slice(at + 1)], times);
          cases++;
        }
      }
    }
    expect(cases).toBe(9 * (20 + 20 + 24 + 24));
  });

  it('reads timestamps of the same hour after one it took, broken ones among them, as the reference does', () => {
    // After a `Z` timestamp, readAll reads one of the same length and hour from its minutes on: a change
    // anywhere in the string, the hour included, must still give the reference value.
    const r = new IsoTimeReader();
    const times = new Float64Array(30);
    const hour = fc
      .tuple(fc.integer({ min: 0, max: 253_402_297_199 }), fc.boolean())
      .map(([h, frac]) =>
        new Date(h * 1000 - ((h * 1000) % 3_600_000)).toISOString().slice(0, frac ? 24 : 19),
      );
    const inHour = (start: string) =>
      fc
        .tuple(fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.nat({ max: 999 }))
        .map(([mi, sec, ms]) => {
          const p = (v: number, n = 2) => String(v).padStart(n, '0');
          const frac = start.length === 24 ? `.${p(ms, 3)}` : '';
          return `${start.slice(0, 14)}${p(mi)}:${p(sec)}${frac}Z`;
        });
    fc.assert(
      fc.property(
        hour.chain((h) =>
          fc.array(fc.oneof(inHour(h), inHour(h).chain(mutated), inHour(h).chain(mutated).chain(mutated)), {
            minLength: 2,
            maxLength: 30,
          }),
        ),
        (unsorted) => {
          // In order, so that runs of good ones are read on (a string out of order stops readAll).
          const list = unsorted.sort();
          expectReadAll(r, list, times);
        },
      ),
      RUNS,
    );
  });

  it('takes toISOString output, offsets, and days 29-31 on its fast path', () => {
    const r = new IsoTimeReader();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(fast(r, iso)).toBe(ms);
        // (east of UTC early on 1970-01-01 the time is before the epoch: left to the slow path, which refuses it)
        const east = ms - 5.5 * 3_600_000;
        expect(fast(r, iso.replace('Z', '+05:30'))).toBe(east >= 0 ? east : undefined);
        expect(fast(r, `${iso.slice(0, 19)}-00:00`)).toBe(ms - (ms % 1000));
      }),
      RUNS,
    );
    expect(fast(r, '2024-02-29T12:00:00Z')).toBe(Date.parse('2024-02-29T12:00:00Z'));
    // Date.parse would count a day past the month's end into the next month (2023-02-29 as March 1): refused,
    // by the slow path (the calendar rule's one home), and validation says so.
    for (const s of ['2023-02-29T12:00:00Z', '2024-04-31T00:00:00.000Z', '2100-02-29T00:00:00+01:00']) {
      expect(fast(r, s), s).toBeUndefined();
      expect(timestampMs(s), s).toBeNaN();
      const t = { target: 'a', messages: [{ speaker: 'a', text: 'hi', timestamp: s }] };
      for (const check of [() => validateTranscript(t), () => checkTranscript(t)]) {
        expect(check, s).toThrow(InvalidTranscriptError);
        expect(check, s).toThrow(`"${s}" is not an ISO 8601 date-time of a real calendar date`);
      }
    }
    // So is a date past the month's end that the fast path does not read (lowercase t, year before 1970).
    for (const s of ['2023-02-30t12:00:00z', '1969-06-31T00:00:00Z']) {
      expect(fast(r, s), s).toBeUndefined();
      expect(timestampMs(s), s).toBeNaN();
    }
  });

  it('leaves to Date.parse (same value) what its fast path does not read', () => {
    const r = new IsoTimeReader();
    for (const s of [
      '2024-05-01t10:00:00z',
      '2024-05-01T10:00:00z',
      '2024-05-01T24:00:00Z',
      '1969-12-31T23:59:59Z',
      '2024-05-01T10:00:00.5Z',
      '2024-05-01T10:00:00.1234Z',
      '2024-05-01T10:00Z',
      '2024-05-01T10:00:00+0200',
      '2024-05-01 10:00:00Z',
    ]) {
      expect(fast(r, s), s).toBeUndefined();
      expect(timestampMs(s), s).toBe(referenceMs(s));
    }
    // And rejects, as Date.parse does, what no reading accepts.
    for (const s of [
      '2024-05-01T23:59:60Z',
      '2024-05-01T10:00:00+24:00',
      '2024-05-01T10:00:00+00:60',
      '2024-00-01T10:00:00Z',
      '2024-05-00T10:00:00Z',
      '2024-05-32T10:00:00Z',
      '2024-13-01T10:00:00Z',
      'yesterday',
    ]) {
      expect(fast(r, s), s).toBeUndefined();
      expect(timestampMs(s), s).toBeNaN();
    }
  });

  it('gives the reference value on days 1, 28, 29, 30 and 31 of every month of every year it reads (1970-9999)', () => {
    const r = new IsoTimeReader();
    let checked = 0;
    for (let y = 1970; y <= 9999; y++) {
      for (let mo = 1; mo <= 12; mo++) {
        for (const d of ['01', '28', '29', '30', '31']) {
          const s = `${y}-${String(mo).padStart(2, '0')}-${d}T23:59:59.999Z`;
          const f = fast(r, s);
          const want = referenceMs(s);
          // A day the month has: on the fast path, the reference value. One it lacks: left to the slow path,
          // which refuses it (the public result is NaN, which validation reports).
          if (Number.isNaN(want)) {
            if (f !== undefined) expect(f, s).toBeUndefined();
            if (!Number.isNaN(timestampMs(s))) expect(timestampMs(s), s).toBeNaN();
          } else if (f !== want) expect(f, s).toBe(want);
          checked++;
        }
      }
    }
    expect(checked).toBe(8030 * 60);
  });
});

describe('validateTranscript’s fast path', () => {
  const limits = { maxMessages: 4, maxTextLength: 12, maxSpeakerLength: 3, maxBioLength: 5 };
  const value = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1.5, 1_700_000_000_000),
    fc.string({ maxLength: 14 }),
    fc.constantFrom('', 'a', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00.250Z', 'yesterday'),
    fc.constant(new Uint8Array([1])),
    fc.constant([]),
  );
  const message = fc.oneof(
    fc.record(
      { speaker: fc.oneof(value, fc.constantFrom('a', 'b', 'bob')), text: value, timestamp: value },
      { requiredKeys: [] },
    ),
    value,
  );
  const wellFormed = fc.record(
    {
      messages: fc.array(
        fc.record(
          {
            speaker: fc.constantFrom('a', 'b'),
            text: fc.string({ maxLength: 13 }),
            timestamp: fc.oneof(
              fc.constant(undefined),
              fc.integer({ min: 0, max: 2e12 }),
              fc.constantFrom('2024-05-01T10:00:00Z', '2024-05-01T10:00:00.250Z', 'yesterday', Number.NaN),
            ),
          },
          { requiredKeys: ['speaker', 'text'] },
        ),
        { minLength: 0, maxLength: 5 },
      ),
      target: fc.constantFrom('a', 'b', undefined),
      profile: fc.oneof(
        fc.constant(undefined),
        fc.record({ bio: value, avatar: value }, { requiredKeys: [] }),
      ),
    },
    { requiredKeys: ['messages'] },
  );
  const transcript = fc.oneof(
    wellFormed,
    fc.record(
      {
        messages: fc.oneof(fc.array(message, { maxLength: 6 }), value),
        target: fc.oneof(value, fc.constantFrom('a', 'b')),
        profile: fc.oneof(value, fc.record({ bio: value, avatar: value }, { requiredKeys: [] })),
        extra: value,
      },
      { requiredKeys: [] },
    ),
    value,
  );

  it('accepts only what the zod schema accepts, and validation gives what it gave through zod', () => {
    const schema = transcriptSchema(limits);
    let accepted = 0;
    fc.assert(
      fc.property(transcript, (input) => {
        const fast = matchesTranscriptSchema(input, limits);
        const parsed = schema.safeParse(input);
        if (fast) {
          accepted++;
          expect(parsed.success).toBe(true);
        }
        // Through the fast path (when it accepts) or zod: the same result or the same error.
        const viaZod = parsed.success ? attempt(() => validateTranscript(parsed.data, limits)) : undefined;
        const viaFast = attempt(() => validateTranscript(input, limits));
        if (parsed.success) expect(viaFast).toEqual(viaZod);
        else expect(viaFast).toMatchObject({ error: expect.stringMatching(/^Invalid transcript/) });
      }),
      RUNS,
    );
    expect(accepted).toBeGreaterThan(50);
  });

  it('checkTranscript reads what validateTranscript returns, and throws what it throws, without a copy', () => {
    let viewed = 0;
    const check = (input: unknown, l?: typeof limits) => {
      const valid = attempt(() => validateTranscript(input, l));
      const checked = attempt(() => checkTranscript(input, l));
      if ('error' in valid) {
        expect(checked).toEqual(valid);
        return;
      }
      if (!('ok' in checked)) throw new Error(`checkTranscript threw: ${checked.error}`);
      const v = valid.ok;
      const c = checked.ok;
      expect(c.target).toBe(v.target);
      expect(c.messages.length).toBe(v.messages.length);
      c.messages.forEach((m, i) => {
        expect([m.speaker, m.text]).toEqual([v.messages[i]!.speaker, v.messages[i]!.text]);
        expect(c.timeMs[i]).toBe(v.messages[i]!.timeMs ?? Number.NaN);
      });
      if (c.messages === (input as { messages?: unknown }).messages) viewed++;
    };
    fc.assert(
      fc.property(transcript, (input) => {
        check(input, limits);
        check(input);
      }),
      RUNS,
    );
    expect(viewed).toBeGreaterThan(50);
    // A transcript validateTranscript returned passes as it is, timestamps included.
    const v = validateTranscript({
      target: 'b',
      messages: [
        { speaker: 'a', text: 'x', timestamp: '2024-05-01T10:00:00Z' },
        { speaker: 'b', text: 'y' },
      ],
    });
    expect(checkTranscript(v).messages).toBe(v.messages);
    expect(Array.from(checkTranscript(v).timeMs)).toEqual([Date.parse('2024-05-01T10:00:00Z'), Number.NaN]);
  });
});

function attempt<X>(f: () => X): { ok: X } | { error: string } {
  try {
    return { ok: f() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('text-utils helpers with hand-written fast paths', () => {
  // The regex definitions they replace, as they were.
  const PUNCT = /\p{P}/gu;
  const TOKENIZER_SPACING = /\s[,.?!;:](?=\s|$)|\p{L} ['’]\p{L}|\p{L}['’] \p{L}|\p{L} n['’]t\b/u;
  const count = (re: RegExp, text: string): number => {
    re.lastIndex = 0;
    let n = 0;
    while (re.exec(text) !== null) n++;
    return n;
  };

  it.each([
    ['tricky characters', tricky],
    ['any string', fc.string({ unit: 'grapheme', maxLength: 20 })],
    ['any UTF-16', fc.string({ unit: 'binary', maxLength: 20 })],
    [
      'spacing and apostrophes',
      fc.string({
        unit: fc.constantFrom('a', 'é', 'Ж', ' ', '\u00a0', '\n', '’', "'", 'n', 't', ',', '.', '?', '😂'),
        maxLength: 12,
      }),
    ],
  ])('countPunctuation and hasTokenizerSpacing give the regexes’ answers on %s', (_, arb) => {
    fc.assert(
      fc.property(arb, (text) => {
        expect(countPunctuation(text)).toBe(count(PUNCT, text));
        expect(hasTokenizerSpacing(text)).toBe(TOKENIZER_SPACING.test(text));
      }),
      RUNS,
    );
  });
});

describe('WordTable', () => {
  it('keeps thousands of words of every length apart as its tables grow, and forgets them on clear()', () => {
    const table = new WordTable();
    const letters = "abcdefghijklmnopqrstuvwxyz0123456789'";
    const vocabulary: string[] = [];
    for (let i = 0; i < 6000; i++) {
      let w = '';
      for (let k = 0, x = i * 7919 + 13; k < 1 + (i % 14); k++, x = Math.floor(x / 37) + k * 101) {
        w += letters[x % 37];
      }
      vocabulary.push(i % 5 === 0 ? `${w}é` : w.replace(/^'+/, 'q'));
    }
    const unique = [...new Set(vocabulary)];
    expect(unique.length).toBeGreaterThan(3000);
    for (let round = 0; round < 2; round++) {
      const ids = unique.map((w) => table.idOf(w));
      expect(new Set(ids).size).toBe(unique.length);
      expect(unique.map((w) => table.idOf(w))).toEqual(ids);
      // Ids count up in first-seen order (so each word kept its own), and a word of the table whose stored
      // characters were wrong would not be found again above.
      expect(ids).toEqual(unique.map((_, i) => i));
      expect(table.size).toBe(unique.length);
      table.clear();
      expect(table.size).toBe(0);
    }
  });
});
