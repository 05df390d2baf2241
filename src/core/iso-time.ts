/**
 * A fast reader for the timestamp shapes that chat exports and `Date.prototype.toISOString()` write:
 * `YYYY-MM-DDTHH:MM:SS`, an optional `.sss`, then `Z` or an offset `±HH:MM`. It gives exactly what `Date.parse`
 * gives for those strings (checked against `Date.parse` by property tests) and hands every other string to
 * `Date.parse`, except that a date the calendar does not have (`2023-02-30`, `2024-04-31`) is rejected where
 * `Date.parse` would roll it over into the next month, and a date-time with no zone is read as UTC where
 * `Date.parse` would read it in the machine's local time zone. Written by hand because `Date.parse` plus the shape check cost about a quarter of a microsecond
 * per message, more than the rest of validation.
 */

const DAY_MS = 86_400_000;

/** Days of the year before the first of each month, in a common year. */
const DAYS_BEFORE_MONTH = new Int32Array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]);

/** Leap years from year 1 to 1969. */
const LEAP_YEARS_BEFORE_1970 = 477;

/** 1 in a leap year of the proleptic Gregorian calendar, else 0. */
function leapDay(y: number): number {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 1 : 0;
}

/** The number of days in month `m` (1-12) of year `y`. */
function daysInMonth(y: number, m: number): number {
  return m === 2 ? 28 + leapDay(y) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Whether month `m` of year `y` has a day `d`: the one home of the rule that a date the calendar does not have
 * (`2023-02-30`, `2024-04-31`) is refused, where `Date.parse` would roll it over into the next month. The fast
 * reader takes only dates that pass it; {@link slowTimestampMs} refuses the others.
 */
function isCalendarDate(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && (d <= 28 || d <= daysInMonth(y, m));
}

/**
 * Days from 1970-01-01 to the given date of the proleptic Gregorian calendar, for years 1970 to 9999 and days
 * 1 to 31 of any month (integer arithmetic only: no division of doubles).
 */
function daysSince1970(y: number, m: number, d: number): number {
  const leap = leapDay(y);
  const p = y - 1;
  const leapsBefore = ((p / 4) | 0) - ((p / 100) | 0) + ((p / 400) | 0) - LEAP_YEARS_BEFORE_1970;
  return (y - 1970) * 365 + leapsBefore + DAYS_BEFORE_MONTH[m - 1]! + (m > 2 ? leap : 0) + d - 1;
}

/** The digit at `s[at]` (0 to 9), or a value outside 0-9 when it is not a digit (NaN past the end). */
function digit(s: string, at: number): number {
  return s.charCodeAt(at) - 0x30;
}

/**
 * Whether `d` from {@link digit} is a digit's value: a non-digit gives a negative number, which the unsigned
 * shift makes huge, or one above 9 (NaN fails both ways).
 */
function isDigit(d: number): boolean {
  return d >>> 0 <= 9;
}

/** The milliseconds `.sss` at `s[19, 23)` (0-999), or -1 when they are not there. */
function fractionMs(s: string): number {
  const a = digit(s, 20);
  const b = digit(s, 21);
  const c = digit(s, 22);
  if (s.charCodeAt(19) !== 0x2e || !(isDigit(a) && isDigit(b) && isDigit(c))) return -1; // .
  return a * 100 + b * 10 + c;
}

/**
 * The milliseconds since the start of its hour of a timestamp of the common shape (`YYYY-MM-DDTHH:MM:SS`, then
 * `Z` or `.sssZ`): its minutes, seconds and fraction.
 */
function msIntoHour(s: string): number {
  const ms = s.length === 24 ? fractionMs(s) : 0;
  return ((digit(s, 14) * 10 + digit(s, 15)) * 60 + digit(s, 17) * 10 + digit(s, 18)) * 1000 + ms;
}

/** What {@link offsetMs} returns for an offset of another shape (a small integer: no boxing). */
const NOT_FAST = -0x3fffffff;

/**
 * The milliseconds to subtract for the offset `±HH:MM` at `s[at, at + 6)` (hours 00-23 and minutes 00-59:
 * Date.parse rejects +24:00), or {@link NOT_FAST} for anything else there.
 */
function offsetMs(s: string, at: number): number {
  const zone = s.charCodeAt(at);
  const sign = zone === 0x2b ? 1 : zone === 0x2d ? -1 : 0; // + -
  const h0 = digit(s, at + 1);
  const h1 = digit(s, at + 2);
  const m0 = digit(s, at + 4);
  const m1 = digit(s, at + 5);
  if (
    sign === 0 ||
    s.charCodeAt(at + 3) !== 0x3a || // :
    !(isDigit(h0) && isDigit(h1) && isDigit(m0) && isDigit(m1)) ||
    h0 * 10 + h1 > 23 ||
    m0 > 5
  ) {
    return NOT_FAST;
  }
  return sign * ((h0 * 10 + h1) * 60 + m0 * 10 + m1) * 60_000;
}

/**
 * Reads the timestamps of one transcript. It reads each code unit of a timestamp once, writes the time into
 * the caller's array (a returned time, not a small integer, would be boxed: an allocation per message), and
 * remembers the day number of the last month it met (a chat's timestamps rarely change month). Call
 * {@link IsoTimeReader.reset} before each transcript: nothing carries over from one transcript to the next.
 *
 * @internal
 */
export class IsoTimeReader {
  /** The month (year * 16 + month) whose first day was computed last; -1 before the first. */
  private month = -1;
  /** Days from 1970-01-01 to the first of that month. */
  private monthDay = 0;
  /** Forgets the remembered month (a new transcript starts). */
  reset(): void {
    this.month = -1;
  }

  /**
   * Reads the timestamps of a transcript's messages (each already of the message schema's shape) into
   * `timeMs[0, messages.length)`, `NaN` where a message has none, as {@link IsoTimeReader.timestampInto} reads
   * them, and returns whether every one is a timestamp validation accepts and none is earlier than the one
   * before (false at the first that is not, the rest unread). Starts with {@link IsoTimeReader.reset}.
   *
   * A `Z` string of the same length and hour (`YYYY-MM-DDTHH`) as the last one `fastInto` took (a chat's next
   * message, mostly) is read here, in the loop: its first 13 code units are compared with the remembered ones
   * and only the minutes, seconds, fraction and `Z` are read, as `fastInto` reads them (the same value: integer
   * sums below 2^53). Any other string goes to `fastInto`. In the loop rather than a method of its own: at
   * 24 `charCodeAt`s it is over V8's size limit for inlining, and a call per message cost 50-70 instructions.
   */
  readAll(messages: readonly { readonly timestamp?: number | string }[], timeMs: Float64Array): boolean {
    this.reset();
    let last = Number.NEGATIVE_INFINITY;
    // The remembered hour, in locals (registers, not fields): the length (20 or 24) of the last `Z` timestamp
    // fastInto took here (0 for none) and its 13th code unit (the hour's last digit, which fastInto returns),
    // set when it is taken; the rest (its first 12 code units, two to a number: (first << 16) | second, and the
    // epoch milliseconds of its hour) only when a later string matches those two, from `from`, message `fromAt`
    // ('' once done). So a transcript whose hour changes at every message pays one code unit read per message
    // for the same-hour path (and a miss then costs about 40 instructions: the hour from fastInto's return,
    // not read again, and the time of the hour read only when a later string is in it).
    let hourLength = 0;
    let hour12 = 0;
    let from = '';
    let fromAt = 0;
    let hour01 = 0,
      hour23 = 0,
      hour45 = 0,
      hour67 = 0,
      hour89 = 0,
      hour1011 = 0,
      hourMs = 0;
    for (let i = 0; i < messages.length; i++) {
      const s = messages[i]!.timestamp;
      if (s === undefined) {
        timeMs[i] = Number.NaN;
        continue;
      }
      if (typeof s === 'number') this.timestampInto(s, timeMs, i);
      else {
        const n = s.length;
        let read = false;
        // The length and the hour's last digit first: an hour that changed fails here, at one code unit read.
        if (n === hourLength && s.charCodeAt(12) === hour12) {
          if (from !== '') {
            const h = from;
            hour01 = (h.charCodeAt(0) << 16) | h.charCodeAt(1);
            hour23 = (h.charCodeAt(2) << 16) | h.charCodeAt(3);
            hour45 = (h.charCodeAt(4) << 16) | h.charCodeAt(5);
            hour67 = (h.charCodeAt(6) << 16) | h.charCodeAt(7);
            hour89 = (h.charCodeAt(8) << 16) | h.charCodeAt(9);
            hour1011 = (h.charCodeAt(10) << 16) | h.charCodeAt(11);
            hourMs = timeMs[fromAt]! - msIntoHour(h);
            from = '';
          }
          const mi0 = digit(s, 14);
          const mi1 = digit(s, 15);
          const s0 = digit(s, 17);
          const s1 = digit(s, 18);
          // The hour as remembered, then minutes and seconds 00-59 (each value keeps itself and 5 or 9 minus
          // itself non-negative), the separators and the Z.
          if (
            ((((s.charCodeAt(0) << 16) | s.charCodeAt(1)) ^ hour01) |
              (((s.charCodeAt(2) << 16) | s.charCodeAt(3)) ^ hour23) |
              (((s.charCodeAt(4) << 16) | s.charCodeAt(5)) ^ hour45) |
              (((s.charCodeAt(6) << 16) | s.charCodeAt(7)) ^ hour67) |
              (((s.charCodeAt(8) << 16) | s.charCodeAt(9)) ^ hour89) |
              (((s.charCodeAt(10) << 16) | s.charCodeAt(11)) ^ hour1011)) ===
              0 &&
            (mi0 | (5 - mi0) | mi1 | (9 - mi1) | s0 | (5 - s0) | s1 | (9 - s1)) >= 0 &&
            s.charCodeAt(13) === 0x3a && // :
            s.charCodeAt(16) === 0x3a &&
            s.charCodeAt(n - 1) === 0x5a // Z
          ) {
            const ms = n === 24 ? fractionMs(s) : 0;
            if (ms >= 0) {
              timeMs[i] = hourMs + (((mi0 * 10 + mi1) * 60 + s0 * 10 + s1) * 1000 + ms);
              read = true;
            }
          }
        }
        if (!read) {
          const taken = this.fastInto(s, timeMs, i);
          if (taken < 0) timeMs[i] = slowTimestampMs(s);
          else if (n === 20 || n === 24) {
            // The Z form: remember its hour.
            hourLength = n;
            hour12 = taken + 0x30;
            from = s;
            fromAt = i;
          }
        }
      }
      const ms = timeMs[i]!;
      if (!(ms >= last)) return false; // NaN (not a timestamp) or earlier than the last one
      last = ms;
    }
    return true;
  }

  /**
   * Writes the epoch milliseconds of `s` into `out[i]` when `s` has the common shape (see the module comment)
   * with a year from 1970, a date the calendar has and an hour below 24, and returns the hour's last digit (0-9,
   * which {@link IsoTimeReader.readAll} remembers without reading it again); returns -1, `out` untouched, for
   * any other string (valid or not). The value is exactly what `Date.parse(s)` gives. (A number, not a
   * boolean: a call that is not inlined returns a value V8 must test as any value would be, about 10
   * instructions, where a small integer takes two.)
   */
  fastInto(s: string, out: Float64Array, i: number): number {
    const n = s.length;
    // YYYY-MM-DDTHH:MM:SS then Z (20), .sssZ (24), ±HH:MM (25) or .sss±HH:MM (29).
    const frac = n === 24 || n === 29;
    if (!(frac || n === 20 || n === 25)) return -1;
    const y0 = digit(s, 0);
    const y1 = digit(s, 1);
    const y2 = digit(s, 2);
    const y3 = digit(s, 3);
    const mo0 = digit(s, 5);
    const mo1 = digit(s, 6);
    const d0 = digit(s, 8);
    const d1 = digit(s, 9);
    const h0 = digit(s, 11);
    const h1 = digit(s, 12);
    const mi0 = digit(s, 14);
    const mi1 = digit(s, 15);
    const s0 = digit(s, 17);
    const s1 = digit(s, 18);
    // Every digit d in 0-9 keeps d | (9 - d) non-negative; any other code makes one of the two negative. (All
    // indices are inside the string: the length was checked, so no read gives NaN, which `|` would make 0.)
    const digits =
      y0 |
      (9 - y0) |
      y1 |
      (9 - y1) |
      y2 |
      (9 - y2) |
      y3 |
      (9 - y3) |
      mo0 |
      (9 - mo0) |
      mo1 |
      (9 - mo1) |
      d0 |
      (9 - d0) |
      d1 |
      (9 - d1) |
      h0 |
      (9 - h0) |
      h1 |
      (9 - h1) |
      mi0 |
      (9 - mi0) |
      mi1 |
      (9 - mi1) |
      s0 |
      (9 - s0) |
      s1 |
      (9 - s1);
    if (
      digits < 0 ||
      s.charCodeAt(4) !== 0x2d || // -
      s.charCodeAt(7) !== 0x2d ||
      s.charCodeAt(10) !== 0x54 || // T
      s.charCodeAt(13) !== 0x3a || // :
      s.charCodeAt(16) !== 0x3a
    ) {
      return -1;
    }
    const ms = frac ? fractionMs(s) : 0;
    if (ms < 0) return -1;
    const y = ((y0 * 10 + y1) * 10 + y2) * 10 + y3;
    const mo = mo0 * 10 + mo1;
    const d = d0 * 10 + d1;
    const h = h0 * 10 + h1;
    // Years before 1970 and hour 24 (which Date.parse reads as the next day's midnight) are left to Date.parse;
    // a date the calendar does not have, to slowTimestampMs, which refuses it.
    if (y < 1970 || h > 23 || mi0 > 5 || s0 > 5 || !isCalendarDate(y, mo, d)) return -1;
    let offset = 0;
    if (n === 20 || n === 24) {
      if (s.charCodeAt(n - 1) !== 0x5a) return -1; // Z
    } else {
      offset = offsetMs(s, n - 6);
      if (offset === NOT_FAST) return -1;
    }
    const month = y * 16 + mo;
    if (month !== this.month) {
      this.monthDay = daysSince1970(y, mo, 1);
      this.month = month;
    }
    const time =
      (this.monthDay + d - 1) * DAY_MS +
      (((h * 60 + mi0 * 10 + mi1) * 60 + s0 * 10 + s1) * 1000 + ms - offset);
    // Before the epoch (1970-01-01T00:30+01:00): slowTimestampMs refuses it.
    if (time < 0) return -1;
    out[i] = time;
    return h1;
  }

  /**
   * Writes the epoch milliseconds of a message timestamp into `out[i]` as validation accepts it (see
   * {@link timestampMs}): `NaN` for one it rejects.
   */
  timestampInto(ts: number | string, out: Float64Array, i: number): void {
    if (typeof ts === 'number') out[i] = isEpochMs(ts) ? ts : Number.NaN;
    else if (this.fastInto(ts, out, i) < 0) out[i] = slowTimestampMs(ts);
  }
}

/** The largest time a JavaScript `Date` holds: 8.64e15 ms (100 million days) after the epoch. */
export const MAX_DATE_MS = 8.64e15;

/**
 * The numbers that read as epoch seconds taken for milliseconds: [1e9, 1e10) is 2001-09-09 to 2286-11-20 in
 * seconds but 1970-01-12 to 1970-04-26 in milliseconds, a time no chat was sent at (a relative clock that starts
 * at 0 gets there only after 11.5 days).
 */
export const EPOCH_SECONDS_FROM = 1e9;
/** The end (exclusive) of {@link EPOCH_SECONDS_FROM}'s range. */
export const EPOCH_SECONDS_TO = 1e10;

/**
 * Whether a numeric timestamp is one validation accepts as epoch milliseconds: from 0 to {@link MAX_DATE_MS}
 * (NaN and infinities fail), outside the epoch-seconds range [{@link EPOCH_SECONDS_FROM},
 * {@link EPOCH_SECONDS_TO}). Two comparisons more than the range check on the hot path (a message's timestamp).
 */
export function isEpochMs(ts: number): boolean {
  return ts >= 0 && ts <= MAX_DATE_MS && (ts < EPOCH_SECONDS_FROM || ts >= EPOCH_SECONDS_TO);
}

/**
 * Why validation refuses the numeric timestamp `ts` (one {@link isEpochMs} rejects), and the fix, for the
 * error naming `messages[i].timestamp`.
 */
export function numericTimestampProblem(ts: number): string {
  if (ts >= EPOCH_SECONDS_FROM && ts < EPOCH_SECONDS_TO) {
    const asMs = new Date(ts).toISOString();
    const asSeconds = new Date(ts * 1000).toISOString();
    return `timestamp ${ts} looks like epoch seconds (${asSeconds}), not epoch milliseconds (which would be ${asMs}): multiply by 1000 for epoch milliseconds, or send ISO 8601`;
  }
  if (Number.isFinite(ts) && Math.abs(ts) > MAX_DATE_MS) {
    return `timestamp ${ts} is outside the range of a JavaScript Date (0 to ${MAX_DATE_MS} epoch milliseconds, up to the year 275760): send epoch milliseconds (as Date.now() gives) or ISO 8601`;
  }
  return `timestamp ${ts} is not a finite, non-negative number of epoch milliseconds: send epoch milliseconds (as Date.now() gives) or ISO 8601`;
}

/** A date-time with a full ISO 8601 date in front: what {@link timestampMs} hands to `Date.parse`. */
const ISO_DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;

/**
 * A date and time of day with no zone after them (`2024-01-01T10:00:05`, `2024-01-01 10:00`,
 * `2024-01-01T10:00:01.0001`), which `Date.parse` would read in the machine's local time zone.
 */
const NO_ZONE_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

/**
 * What names a time zone in a loose date-time that `Date.parse` reads with its legacy parser (`2024-01-01
 * 10:00:05 PM`, `2024-01-01 10:00:05 +0100`, `2024-01-01 10:00 EST`): an offset (a sign and a digit), or a zone
 * word it knows (Z, UT, UTC, GMT and the US zones EST to PDT) between non-letters (`00:00z`). Tested on the
 * text after the date (whose `-` are not signs) with parenthesized comments removed (the parser skips them).
 * Wider than the parser: a string it takes for zoned when the parser does not is read as `Date.parse` reads
 * it, as before.
 */
const ZONE_NAMED = /[+-]\d|(?<![a-z])(?:z|ut|utc|gmt|[ecmp][sd]t)(?![a-z])/i;

/**
 * The longest timestamp string read. An ISO 8601 date-time is at most about 35 characters; the cap keeps what one
 * hostile string can cost the parser (a request's body may hold a megabyte) small.
 */
const MAX_TIMESTAMP_LENGTH = 100;

/**
 * `s` with its parenthesized comments (nested ones too, as `Date.parse`'s legacy parser skips them, and one left
 * open running to the end, as it reads that) replaced by a space, in one pass, and how many comments are still
 * open at the end. Written out rather than as a regular expression: `/\([^)]*\)/g` over many unclosed `(`
 * takes time quadratic in the length.
 */
function withoutComments(s: string): { text: string; open: number } {
  let text = '';
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x28 /* ( */) {
      if (depth === 0) text += `${s.slice(start, i)} `;
      depth++;
    } else if (c === 0x29 /* ) */ && depth > 0 && --depth === 0) {
      start = i + 1;
    }
  }
  return { text: depth > 0 ? text : text + s.slice(start), open: depth };
}

/** {@link timestampMs} of a string the fast reader did not take: {@link looseTimestampMs}, from 1970 on. */
function slowTimestampMs(ts: string): number {
  const ms = looseTimestampMs(ts);
  // Before 1970 the time would be a negative number of epoch milliseconds, which validation refuses as a number
  // (a validated transcript must validate again): refused here too (see stringTimestampProblem).
  return ms >= 0 ? ms : Number.NaN;
}

/**
 * The epoch milliseconds of a timestamp string as `Date.parse` reads it, with the rules below, before 1970
 * included; `NaN` for a string that is not ISO-shaped.
 */
function looseTimestampMs(ts: string): number {
  // Date.parse accepts many loose formats; require something ISO-shaped so "yesterday" is not silently NaN-ed,
  // and a date the calendar has (Date.parse reads 2023-02-30 as March 2).
  if (ts.length > MAX_TIMESTAMP_LENGTH) return Number.NaN;
  const date = ISO_DATE_PREFIX.exec(ts);
  if (date === null || !isCalendarDate(Number(date[1]), Number(date[2]), Number(date[3]))) return Number.NaN;
  // A bare date is ISO 8601's, read as UTC (the legacy parser would read years 0000-0099 as 19xx / 20xx).
  if (ts.length === date[0].length) return Date.parse(ts);
  // A date-time with no zone is read as UTC, so that no result depends on the machine's time zone: the strict
  // shape with `Z` appended, a loose one (read by the legacy parser, in local time when it names no zone) with
  // ` GMT` appended, after closing a comment left open (which would swallow it).
  if (NO_ZONE_DATE_TIME.test(ts)) return Date.parse(`${ts}Z`);
  const ms = legacyMs(ts, date[0].length);
  // `Date.parse` reads a zone word after the time (`10:00:05 EST`, `UTC`, `GMT`) or `PM` only with a space
  // between date and time, not with ISO's `T`: read `2024-01-01T10:00:05 EST` as `2024-01-01 10:00:05 EST`.
  // Only for a word after the time: an offset Date.parse refuses after `T` (`+24:00`) stays refused.
  const sep = ts.charCodeAt(10);
  if (Number.isNaN(ms) && (sep === 0x54 || sep === 0x74) && /[a-z]/i.test(ts.slice(11)))
    return legacyMs(`${ts.slice(0, 10)} ${ts.slice(11)}`, 10);
  return ms;
}

/** `Date.parse` of a loose date-time (its date `dateLength` long), in UTC when the rest names no zone. */
function legacyMs(ts: string, dateLength: number): number {
  const rest = withoutComments(ts.slice(dateLength));
  return Date.parse(ZONE_NAMED.test(rest.text) ? ts : `${ts}${')'.repeat(rest.open)} GMT`);
}

/**
 * Why validation refuses the timestamp string `ts` (one {@link timestampMs} reads as `NaN`), and the fix, for
 * the error naming `messages[i].timestamp`.
 *
 * @param ts - the string
 * @internal
 */
export function stringTimestampProblem(ts: string): string {
  const shown = ts.slice(0, 40);
  if (looseTimestampMs(ts) < 0) {
    return `"${shown}" is before 1970-01-01T00:00:00Z: timestamps start at the Unix epoch (a number must be non-negative epoch milliseconds, and a string must be a time from 1970 on); send the real time, or times relative to 1970`;
  }
  return `"${shown}" is not an ISO 8601 date-time of a real calendar date (e.g. 2024-05-01T10:00:00Z)`;
}

/** The reader and slot of {@link timestampMs} (reset on each call). */
const SINGLE = new IsoTimeReader();
const SINGLE_OUT = new Float64Array(1);

/**
 * Epoch milliseconds of a message timestamp as validation accepts it: a number of epoch milliseconds from 0 to
 * {@link MAX_DATE_MS} and outside the epoch-seconds range (see {@link isEpochMs}), or an ISO 8601 date-time string (`YYYY-MM-DD...` with a date the calendar has, as `Date.parse`
 * reads it, except that a date-time with no zone, such as `2024-01-01T10:00:05`, is read as UTC rather than in
 * the machine's local time zone, and a zone word after a `T` date-time (`2024-01-01T10:00:05 EST`) is read as
 * after a space) from 1970-01-01T00:00:00Z on (an earlier one would be a negative number, which is refused);
 * `NaN` for anything else. To read a whole transcript's timestamps, use an {@link IsoTimeReader}.
 *
 * @param ts - the timestamp as given
 * @internal
 */
export function timestampMs(ts: number | string): number {
  SINGLE.reset();
  SINGLE.timestampInto(ts, SINGLE_OUT, 0);
  return SINGLE_OUT[0]!;
}
