/**
 * Time of HeuristicDetector.detect() on a 200-message transcript, validation included, old (a checkout of an
 * earlier botlens: BOTLENS_BENCH_BASELINE, by default /work/base2 = e38745d; /work/base5 = a1f82d2) beside new
 * in one run, with the ratio and µs per KB of text; µs per KB of text on the ConvAI dev file, where the old and
 * new scores are also compared row by row; and the cost of streaming a transcript message by message.
 *
 *   npx tsx bench/heuristic.ts
 *   BOTLENS_BENCH_BASELINE=/work/base5 npx tsx bench/heuristic.ts
 *
 * needs: none (the ConvAI and old-implementation rows are skipped, with a note, when ../shared or the baseline
 * checkout is absent)
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkTranscript } from '../src/core/checked-transcript.js';
import type { Detector } from '../src/core/detector.js';
import type { Transcript } from '../src/core/transcript.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';

const BASE = process.env['BOTLENS_BENCH_BASELINE'] ?? '/work/base2';
const CONVAI_DEV = resolve(import.meta.dirname, '../../shared/data/convai-bots/dev.jsonl');

const HUMAN = [
  'hey whats up',
  'lol yeah',
  'i was at the beach all day, so tired now',
  'Do you like dogs?',
  'ok',
  'my sister has two cats and they hate me haha',
  'wait what do you mean',
  'Honestly I never thought about it that way. Maybe you are right 🙂',
];
const BOT = [
  'Hello ! How are you today ?',
  "i 'm doing well . what do you do for a living ?",
  'I love to read books. What is your favorite book? ',
  'That sounds great. I like to go hiking with my dog.',
  "i 'm a teacher . do you have any pets ?",
  'I love to read. I also like to play video games. ',
];

/**
 * A 200-message two-speaker transcript (about 7 KB of text); `timed` adds ISO timestamps. The bot repeats its
 * six lines (as canned bots do) unless `distinct`, which makes every text unique (the detector's per-transcript
 * text cache then never turns on: the figure for chats without exact repeats).
 */
function makeTranscript(timed: boolean, distinct = false): Transcript {
  const messages: Transcript['messages'] = [];
  let t = Date.UTC(2024, 4, 1, 10);
  for (let i = 0; i < 200; i++) {
    const human = i % 2 === 0;
    const pool = human ? HUMAN : BOT;
    const text = `${pool[(i * 7) % pool.length]!}${distinct || i % 5 === 0 ? ` (${i})` : ''}`;
    t += human ? 2000 + ((i * 7919) % 9000) : 600;
    messages.push(
      timed
        ? { speaker: human ? 'alice' : 'bot', text, timestamp: new Date(t).toISOString() }
        : { speaker: human ? 'alice' : 'bot', text },
    );
  }
  return { target: 'bot', messages };
}

/**
 * Milliseconds of CPU time (user + system, of this process) per call of each function, measured side by side:
 * rounds of `batch` calls alternate between the functions for about `budgetMs`, after a warm-up, and each
 * one's median round is reported. CPU time rather than wall time, and alternating rounds, keep other
 * processes on a shared machine from deciding the figures; on a quiet machine the two clocks agree for this
 * single-threaded code.
 */
async function time(fns: (() => unknown)[], budgetMs = 1500, batch = 50): Promise<number[]> {
  for (const fn of fns) for (let i = 0; i < 200; i++) await fn();
  const rounds: number[][] = fns.map(() => []);
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    for (let k = 0; k < fns.length; k++) {
      const fn = fns[k]!;
      const c0 = process.cpuUsage();
      for (let i = 0; i < batch; i++) await fn();
      const c = process.cpuUsage(c0);
      rounds[k]!.push((c.user + c.system) / 1000 / batch);
    }
  }
  return rounds.map((r) => r.sort((a, b) => a - b)[r.length >> 1]!);
}

interface Impl {
  detector: Detector;
  /** The validation `detect` runs: `validateTranscript` (which copies) before, `checkTranscript` after. */
  validate: (t: unknown) => unknown;
}

async function loadOld(): Promise<Impl | undefined> {
  const heuristic = resolve(BASE, 'src/detectors/heuristic/heuristic-detector.ts');
  if (!existsSync(heuristic)) return undefined;
  const h = (await import(heuristic)) as { HeuristicDetector: new () => Detector };
  const v = (await import(resolve(BASE, 'src/core/validate.ts'))) as {
    validateTranscript: (t: unknown) => unknown;
  };
  return { detector: new h.HeuristicDetector(), validate: v.validateTranscript };
}

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
const textKb = (t: Transcript): number => t.messages.reduce((s, m) => s + m.text.length, 0) / 1024;

const fresh: Impl = { detector: new HeuristicDetector(), validate: checkTranscript };
const old = await loadOld();

console.log(
  `node ${process.version}, ${process.platform}/${process.arch}; CPU time per call, median of alternating rounds`,
);
if (!old) console.log(`(old implementation not found at ${BASE}: its column is left out)`);
console.log('');
console.log('| 200 messages | step | old | new | old / new | new per KB |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [timed, distinct] of [
  [false, false],
  [true, false],
  [false, true],
] as const) {
  const plain = makeTranscript(timed, distinct);
  const label = `${timed ? 'ISO timestamps' : 'no timestamps'}${distinct ? ', no repeated text' : ''}`;
  // Fresh copies each call, so validation is never served from the cache of validated objects.
  const copy = (): Transcript => ({ target: plain.target, messages: plain.messages.slice() });
  for (const [step, run] of [
    ['validate (as detect does)', (i: Impl) => () => i.validate(copy())],
    ['detect, validation included', (i: Impl) => () => i.detector.detect(copy())],
    // The new detector writes its evidence sentences when they are first read: count that too.
    [
      'detect and read the evidence',
      (i: Impl) => async () => (await i.detector.detect(copy())).evidence.length,
    ],
  ] as const) {
    const [n = 0, o] = await time(old ? [run(fresh), run(old)] : [run(fresh)]);
    console.log(
      `| ${label} (${textKb(plain).toFixed(1)} KB) | ${step} | ${o === undefined ? '-' : us(o)} | ${us(n)} | ${o === undefined ? '-' : `${(o / n).toFixed(2)}x`} | ${((n * 1000) / textKb(plain)).toFixed(1)} µs/KB |`,
    );
  }
}

if (existsSync(CONVAI_DEV)) {
  const rows = readFileSync(CONVAI_DEV, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Transcript);
  const kb = rows.reduce((s, r) => s + textKb(r), 0);
  const all = (i: Impl) => async () => {
    for (const r of rows) await i.detector.detect({ target: r.target, messages: r.messages.slice() });
  };
  const [n = 0, o] = await time(old ? [all(fresh), all(old)] : [all(fresh)], 3000, 1);
  console.log('');
  console.log(`ConvAI dev: ${rows.length} transcripts, ${kb.toFixed(0)} KB of text, detect with validation`);
  console.log('| | old | new | old / new |');
  console.log('| --- | --- | --- | --- |');
  const per = (ms: number) => `${((ms * 1000) / kb).toFixed(2)} µs/KB`;
  console.log(
    `| whole file | ${o === undefined ? '-' : `${o.toFixed(1)} ms`} | ${n.toFixed(1)} ms | ${o === undefined ? '-' : `${(o / n).toFixed(2)}x`} |`,
  );
  console.log(`| per KB of text | ${o === undefined ? '-' : per(o)} | ${per(n)} | |`);
  if (old) {
    // The same scores, row by row: the speed-ups must not move them.
    let worst = 0;
    for (const r of rows) {
      const a = (await fresh.detector.detect(r)).score;
      const b = (await old.detector.detect(r)).score;
      worst = Math.max(
        worst,
        a === b ? 0 : a === null || b === null ? Number.POSITIVE_INFINITY : Math.abs(a - b),
      );
    }
    console.log(`\nLargest |new - old| score on a ConvAI dev row: ${worst}`);
  }
} else {
  console.log(`\n(ConvAI dev not found at ${CONVAI_DEV}: its row is left out)`);
}

// Streaming: push the 200 messages one by one (incremental) vs one detect() on the whole transcript.
const plain = makeTranscript(true);
const streamAll = async () => {
  const s = fresh.detector.stream!({ target: 'bot' });
  for (const m of plain.messages) await s.push(m);
};
const [whole, streamed] = (await time(
  [() => fresh.detector.detect({ target: 'bot', messages: plain.messages.slice() }), streamAll],
  1500,
  5,
)) as [number, number];
console.log('');
console.log(
  `Streaming 200 timed messages one by one: ${us(streamed)} in total (${us(streamed / 200)} per push), ${(streamed / whole).toFixed(1)}x one detect() (${us(whole)})`,
);
