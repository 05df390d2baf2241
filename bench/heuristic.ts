/**
 * Time of HeuristicDetector.detect() on a 200-message transcript, validation included, old (a checkout of an
 * earlier botlens: BOTLENS_BENCH_BASELINE, by default /work/base2 = e38745d; /work/base5 = a1f82d2) beside new
 * in one run, with the ratio and µs per KB of text; µs per KB of text on the ConvAI dev file, where the old and
 * new scores are also compared row by row; and the cost of streaming a transcript message by message. The
 * 200-message transcripts' texts are flat strings, as in a transcript parsed from JSON.
 *
 * Old and new are timed in separate child processes, alternating (new, old, new, old...; BENCH_REPEATS pairs,
 * default 3), and each figure is the median over the children: timed in one process, two identical copies of
 * the detector measured up to 0.81-1.13x apart (shared JIT and GC state), which is the size of the changes
 * this bench is for.
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
import { validateTranscript } from '../src/core/validate.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { benchRepeats, childSide, median, reportFromChild, runChildren } from './lib/child-runs.js';
import { hostProbeUs } from './lib/host-probe.js';

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
 * A 200-message two-speaker transcript (about 7 KB of text); `timed` adds ISO timestamps, an hour and more
 * apart when `hourly` (no two messages in the same hour: the reader's same-hour path never applies). The bot repeats its
 * six lines (as canned bots do) unless `distinct`, which makes every text unique (the detector's per-transcript
 * text cache then never turns on: the figure for chats without exact repeats). The texts are flat strings, as
 * in a transcript parsed from JSON (what users pass): the transcript goes through JSON once, since a text built
 * by concatenation is a V8 cons string, whose characters cost more to read.
 */
function makeTranscript(timed: boolean, distinct = false, hourly = false): Transcript {
  const messages: Transcript['messages'] = [];
  let t = Date.UTC(2024, 4, 1, 10);
  for (let i = 0; i < 200; i++) {
    const human = i % 2 === 0;
    const pool = human ? HUMAN : BOT;
    const text = `${pool[(i * 7) % pool.length]!}${distinct || i % 5 === 0 ? ` (${i})` : ''}`;
    t += (hourly ? 3_600_000 : 0) + (human ? 2000 + ((i * 7919) % 9000) : 600);
    messages.push(
      timed
        ? { speaker: human ? 'alice' : 'bot', text, timestamp: new Date(t).toISOString() }
        : { speaker: human ? 'alice' : 'bot', text },
    );
  }
  return JSON.parse(JSON.stringify({ target: 'bot', messages })) as Transcript;
}

/**
 * Milliseconds of CPU time (user + system, of this process) per call of each function, measured side by side:
 * rounds of `batch` calls alternate between the functions for about `budgetMs`, after a warm-up, and each
 * one's median round is reported. CPU time rather than wall time, and alternating rounds, keep other
 * processes on a shared machine from deciding the figures; on a quiet machine the two clocks agree for this
 * single-threaded code. After each round the host probe runs once; `probes`, when given, gets their median.
 */
async function time(
  fns: (() => unknown)[],
  budgetMs = 1500,
  batch = 50,
  probes?: number[],
): Promise<number[]> {
  for (const fn of fns) for (let i = 0; i < 200; i++) await fn();
  const rounds: number[][] = fns.map(() => []);
  const probed: number[] = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    for (let k = 0; k < fns.length; k++) {
      const fn = fns[k]!;
      const c0 = process.cpuUsage();
      for (let i = 0; i < batch; i++) await fn();
      const c = process.cpuUsage(c0);
      rounds[k]!.push((c.user + c.system) / 1000 / batch);
      probed.push(hostProbeUs());
    }
  }
  probes?.push(median(probed));
  return rounds.map((r) => r.sort((a, b) => a - b)[r.length >> 1]!);
}

interface Impl {
  detector: Detector;
  /**
   * The validation `detect` runs: `checkTranscript`, or `validateTranscript` (which copies) in a baseline older
   * than src/core/checked-transcript.ts (whose detect called it).
   */
  validate: (t: unknown) => unknown;
  /** The public `validateTranscript` (a copy with times, each timestamp read alone). */
  validateTranscript: (t: unknown) => unknown;
}

async function loadOld(): Promise<Impl | undefined> {
  const heuristic = resolve(BASE, 'src/detectors/heuristic/heuristic-detector.ts');
  if (!existsSync(heuristic)) return undefined;
  const h = (await import(heuristic)) as { HeuristicDetector: new () => Detector };
  const v = (await import(resolve(BASE, 'src/core/validate.ts'))) as {
    validateTranscript: (t: unknown) => unknown;
  };
  // (The old column of "validate (as detect does)" timed the public validateTranscript for every baseline, also
  // those whose detect runs checkTranscript: 12.8 against 2.6 µs for the same code.)
  const checked = resolve(BASE, 'src/core/checked-transcript.ts');
  const validate = existsSync(checked)
    ? ((await import(checked)) as { checkTranscript: (t: unknown) => unknown }).checkTranscript
    : v.validateTranscript;
  return {
    detector: new h.HeuristicDetector(),
    validate,
    validateTranscript: v.validateTranscript,
  };
}

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
const textKb = (t: Transcript): number => t.messages.reduce((s, m) => s + m.text.length, 0) / 1024;

const fresh: Impl = {
  detector: new HeuristicDetector(),
  validate: checkTranscript,
  validateTranscript,
};
/** [timed, distinct, hourly] of {@link makeTranscript}. */
const CASES = [
  [false, false, false],
  [true, false, false],
  [false, true, false],
  [true, false, true],
] as const;
const STEPS = [
  ['validate (as detect does)', (i: Impl, copy: () => Transcript) => () => i.validate(copy())],
  ['detect, validation included', (i: Impl, copy: () => Transcript) => () => i.detector.detect(copy())],
  // The new detector writes its evidence sentences when they are first read: count that too.
  [
    'detect and read the evidence',
    (i: Impl, copy: () => Transcript) => async () => (await i.detector.detect(copy())).evidence.length,
  ],
  ['validateTranscript', (i: Impl, copy: () => Transcript) => () => i.validateTranscript(copy())],
] as const;
const convaiRows = existsSync(CONVAI_DEV)
  ? readFileSync(CONVAI_DEV, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Transcript)
  : undefined;

/**
 * One child process's figures: ms per call for each case and step, then ms per pass over ConvAI dev; `probes`:
 * the median host probe (µs, see {@link hostProbeUs}) while each row was timed, in the same order.
 */
interface ChildFigures {
  rows: number[];
  convai: number | null;
  probes: number[];
}

/** Times one implementation alone in this process (a child of the bench). */
async function timeOne(impl: Impl): Promise<ChildFigures> {
  const rows: number[] = [];
  const probes: number[] = [];
  for (const [timed, distinct, hourly] of CASES) {
    const plain = makeTranscript(timed, distinct, hourly);
    // Fresh copies each call, so validation is never served from the cache of validated objects.
    const copy = (): Transcript => ({ target: plain.target, messages: plain.messages.slice() });
    for (const [, run] of STEPS) rows.push((await time([run(impl, copy)], 1000, 50, probes))[0]!);
  }
  let convai: number | null = null;
  if (convaiRows) {
    const all = async () => {
      for (const r of convaiRows)
        await impl.detector.detect({ target: r.target, messages: r.messages.slice() });
    };
    convai = (await time([all], 2500, 1, probes))[0]!;
  }
  return { rows, convai, probes };
}

const CHILD = childSide('BOTLENS_HEURISTIC_CHILD');
if (CHILD !== undefined) {
  const impl = CHILD === 'old' ? await loadOld() : fresh;
  reportFromChild(await timeOne(impl!));
}

const old = await loadOld();
const pairs = benchRepeats();
const { newRuns, oldRuns } = runChildren<ChildFigures>(
  { script: import.meta.filename, envVar: 'BOTLENS_HEURISTIC_CHILD', name: 'heuristic' },
  pairs,
  old !== undefined,
);
const at = (runs: ChildFigures[], i: number): number | undefined =>
  runs.length === 0 ? undefined : median(runs.map((r) => r.rows[i]!));

console.log(
  `node ${process.version}, ${process.platform}/${process.arch}; CPU time per call, each figure the median over ${pairs} child process(es) per implementation, run alternately (each child: the median of alternating rounds)`,
);
if (!old) console.log(`(old implementation not found at ${BASE}: its column is left out)`);
console.log(
  'The transcripts are built, then passed through JSON once, so their texts are flat strings as in a parsed transcript (a concatenated text is a cons string, slower to read).',
);
console.log('');
console.log('| 200 messages | step | old | new | old / new | new per KB |');
console.log('| --- | --- | --- | --- | --- | --- |');
let row = 0;
for (const [timed, distinct, hourly] of CASES) {
  const plain = makeTranscript(timed, distinct, hourly);
  const label = `${timed ? 'ISO timestamps' : 'no timestamps'}${hourly ? ', a new hour every message' : ''}${distinct ? ', no repeated text' : ''}`;
  for (const [step] of STEPS) {
    const n = at(newRuns, row)!;
    const o = at(oldRuns, row);
    row++;
    console.log(
      `| ${label} (${textKb(plain).toFixed(1)} KB) | ${step} | ${o === undefined ? '-' : us(o)} | ${us(n)} | ${o === undefined ? '-' : `${(o / n).toFixed(2)}x`} | ${((n * 1000) / textKb(plain)).toFixed(1)} µs/KB |`,
    );
  }
}
const detectRow = (c: number) => c * STEPS.length + 1;
console.log('');
// Each child's figure with, in brackets, the host probe while it was timed: a child whose probe reads well above
// its siblings' ran while the host shared its core (docs/design/heuristic-timestamps.md), ~1.8x slow whatever
// the code.
const perChild = (runs: ChildFigures[]): string =>
  CASES.map((_, c) =>
    runs.map((r) => `${us(r.rows[detectRow(c)]!)} [${r.probes[detectRow(c)]!.toFixed(0)}]`).join(' / '),
  ).join('; ');
console.log(
  `detect with validation, per child [host probe, µs: well above its siblings = timed during a host episode]`,
);
console.log(`  new: ${perChild(newRuns)}`);
if (old) console.log(`  old: ${perChild(oldRuns)}`);

if (convaiRows) {
  const rows = convaiRows;
  const kb = rows.reduce((s, r) => s + textKb(r), 0);
  const n = median(newRuns.map((r) => r.convai!));
  const o = old ? median(oldRuns.map((r) => r.convai!)) : undefined;
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
