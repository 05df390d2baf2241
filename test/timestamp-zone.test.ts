/**
 * A timestamp with no zone is read as UTC, whatever the machine's time zone: the same times, gaps and scores
 * in processes started with TZ=UTC, America/New_York and Asia/Tokyo. Loose shapes that `Date.parse` reads with
 * its legacy parser (a trailing space, `PM`, a comment) too, and a zone they name is kept.
 */
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Loose timestamps and what each must read as (epoch ms), on any machine. */
const LOOSE: [string, number][] = [
  ['2024-01-01 10:00:05 ', Date.UTC(2024, 0, 1, 10, 0, 5)],
  ['2024-07-01  10:00:05', Date.UTC(2024, 6, 1, 10, 0, 5)],
  ['2024-07-01 10:00 PM', Date.UTC(2024, 6, 1, 22)],
  ['2024-01-01,10:00:05.5', Date.UTC(2024, 0, 1, 10, 0, 5, 500)],
  ['2024-07-01 10:00:05 (server time)', Date.UTC(2024, 6, 1, 10, 0, 5)],
  ['2024-01-01 ', Date.UTC(2024, 0, 1)],
  // A zone named is kept: an offset, UTC, a US zone, a comment before an offset, a `z` after digits.
  ['2024-01-01 10:00:05 +0100', Date.UTC(2024, 0, 1, 9, 0, 5)],
  ['2024-07-01 10:00:05 UTC', Date.UTC(2024, 6, 1, 10, 0, 5)],
  ['2024-01-01 10:00 EST', Date.UTC(2024, 0, 1, 15)],
  ['2024-01-01 10:00:05 (x) -0200', Date.UTC(2024, 0, 1, 12, 0, 5)],
  ['2024-01-01T10:00:05z', Date.UTC(2024, 0, 1, 10, 0, 5)],
  // Comments left open (they run to the end) or nested are skipped whole, the zone after them read.
  ['2024-01-01 10:00 (x', Date.UTC(2024, 0, 1, 10)],
  ['2024-01-01 10:00 am (z', Date.UTC(2024, 0, 1, 10)],
  ['2024-01-01 10:00 ((x) EST)', Date.UTC(2024, 0, 1, 10)],
  ['2024-01-01 10:00 (a) (EST', Date.UTC(2024, 0, 1, 10)],
  // A bare date is ISO 8601's, in UTC (on the day New York moves its clocks too). Years 0000-0099, which the
  // legacy parser would read as 19xx / 20xx, are before 1970 and refused (test/timestamp-rules.test.ts).
  ['2024-03-10', Date.UTC(2024, 2, 10)],
];

/** What a process in time zone `tz` reads: each message's time, or the error, and the heuristic's score. */
function readIn(tz: string): {
  tz: string;
  times?: number[];
  score?: number | null;
  loose?: number[];
  error?: string;
} {
  const code = `
    const { validateTranscript } = await import('./src/core/validate.ts');
    const { HeuristicDetector } = await import('./src/detectors/heuristic/heuristic-detector.ts');
    const { timestampMs } = await import('./src/core/iso-time.ts');
    const t = { target: 'b', messages: [
      { speaker: 'a', text: 'hi there, anyone around?', timestamp: '2024-01-01T10:00:00Z' },
      { speaker: 'b', text: 'Hello ! How can I help you today ?', timestamp: '2024-01-01T10:00:05' },
      { speaker: 'a', text: 'what about cats', timestamp: '2024-01-01 10:00:09.5' },
      { speaker: 'b', text: 'Hello ! How can I help you today ?', timestamp: '2024-01-01T10:00:10.0001' },
      { speaker: 'a', text: 'ok', timestamp: '2024-01-01T10:01' },
      { speaker: 'b', text: 'Hello ! Cats are great !', timestamp: '2024-01-01T10:01:01.000Z' },
    ] };
    const out = { tz: process.env.TZ, loose: ${JSON.stringify(LOOSE.map(([ts]) => ts))}.map(timestampMs) };
    try {
      out.times = validateTranscript(t).messages.map((m) => m.timeMs);
      out.score = (await new HeuristicDetector().detect(t)).score;
    } catch (e) { out.error = e.message; }
    console.log(JSON.stringify(out));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', TZ: tz },
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('a hostile timestamp string', () => {
  it('costs no more than a short one to refuse: one over 100 characters is not read', async () => {
    const { timestampMs } = await import('../src/core/iso-time.js');
    const t0 = performance.now();
    for (const n of [10_000, 100_000]) expect(timestampMs(`2024-01-01 ${'('.repeat(n)}`)).toBeNaN();
    expect(timestampMs(`2024-01-01 10:00 (${'x'.repeat(120)})`)).toBeNaN();
    expect(performance.now() - t0).toBeLessThan(200);
    expect(timestampMs('2024-01-01 10:00 (server time)')).toBe(Date.UTC(2024, 0, 1, 10));
  });
});

describe('timestamps with no zone', () => {
  it('are read as UTC in every machine time zone: the same times and scores', () => {
    const base = Date.UTC(2024, 0, 1, 10);
    const want = [0, 5000, 9500, 10_000, 60_000, 61_000].map((d) => base + d);
    const runs = ['UTC', 'America/New_York', 'Asia/Tokyo'].map(readIn);
    for (const run of runs) {
      expect(run.error, run.tz).toBeUndefined();
      expect(run.times, run.tz).toEqual(want);
      expect(run.score, run.tz).toBe(runs[0]!.score);
    }
    expect(typeof runs[0]!.score).toBe('number');
  }, 60_000);

  it('are read as UTC in loose shapes too (the legacy parser of Date.parse), and a zone they name is kept', () => {
    const runs = ['UTC', 'America/New_York', 'Asia/Tokyo'].map(readIn);
    for (const run of runs) {
      expect(run.error, run.tz).toBeUndefined();
      expect(
        run.loose!.map((ms, k) => [LOOSE[k]![0], ms]),
        run.tz,
      ).toEqual(LOOSE);
    }
  }, 60_000);
});
