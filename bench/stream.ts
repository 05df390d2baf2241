/**
 * Streaming cost: a 200-message transcript pushed message by message through `stream()` against one `detect()`
 * on the whole transcript, for the heuristic detector alone, the hashing embedding detector alone and their
 * stacking ensemble (both fitted on ConvAI train). Target (issue 11): all 200 pushes cost at most 3x one
 * detect() for the ensemble. The old implementation (the starting commit, from /work/base2 or
 * BOTLENS_BASE_DIR when that checkout is present) is measured beside the new one in the same run. Also checks
 * that the last push equals detect() (score within 1e-12, same label). Then splits the ensemble's 200 pushes: its
 * own members' streams pushed one after the other and side by side (each message to every member in turn, as the
 * ensemble does, without it), whether its embedding member holds the labelled set the detector fitted alone holds,
 * and the ensemble's own part: the same pushes with its members' streams replaced by replays of their recorded
 * detections. Last, what an open stream holds and what opening one costs, for the embedding detector and the
 * ensemble (a service may hold thousands of open streams, mostly short chats): the heap and ArrayBuffer
 * growth per stream over {@link OPEN_STREAMS} streams pushed `long`'s first 5 messages each (after a full GC),
 * and the CPU time of opening a stream and pushing 1 or 5 messages against detect() on the same prefix.
 *
 * Two more rows time the embedding detector and the ensemble fitted with `knnStopShare: 0.1` (common n-grams
 * left out of the kNN vote: an opt-in fit option), against detect() of the same detector (a checkout without
 * the option leaves them out). Streams write each detection's evidence when it is first read (most callers read
 * the score only); a line below the table gives, per detector, what the 200 pushes cost when the caller reads
 * every push's evidence, against one detect() whose evidence is read.
 *
 * Old and new are each built, fitted and timed alone in their own child process, alternating (new, old, new,
 * old...; BENCH_REPEATS pairs, default 3; each child fits on ConvAI train, about 7 s, and times for about 18 s),
 * and each figure is the median over the children, with the per-child figures below the table: timed in one
 * process, the same code in both columns (87be6b4 against itself) read 0.41-0.44 ms against 0.50-0.51 ms for
 * the heuristic's 200 pushes and 1-8% apart on the embedding and ensemble rows, always cheaper in the new column.
 * In children, the same code read old / new 0.98-1.10x on the 200 pushes (two runs, 87be6b4 against itself),
 * within what this checkout against itself read (0.94-1.05x; 2 shared cores under load, 2026-12-06).
 * Both children run the same steps in the same order (the members' split included), so that neither's figures
 * follow work the other's did not do, and a child loads only its own checkout's src (the data reader included).
 *
 *   npx tsx bench/stream.ts
 *   BOTLENS_BASE_DIR=/work/base7 BENCH_REPEATS=5 npx tsx bench/stream.ts
 *
 * needs: shared (ConvAI train for the fit).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Detection, Detector } from '../src/core/detector.js';
import type { Transcript } from '../src/core/transcript.js';
import type * as reader from '../src/data/read-transcripts.js';
import type * as registry from '../src/detectors/registry.js';
import {
  benchRepeats,
  childSide,
  median,
  reportFromChild,
  runChildren,
  type Side,
} from './lib/child-runs.js';

const here = dirname(fileURLToPath(import.meta.url));
const data = resolve(here, '../../shared/data/convai-bots');
const BASE = process.env['BOTLENS_BASE_DIR'] ?? '/work/base2';
/** The checkout each side's code comes from: this one, or the baseline. */
const ROOT: Record<Side, string> = { new: resolve(here, '..'), old: BASE };
const side = childSide('BOTLENS_STREAM_CHILD');
if (!existsSync(data)) {
  console.log('skipped: ../shared not found (this bench fits on the ConvAI train split)');
  process.exit(0);
}
// A child reads the data with its own side's code too, so that no module of the other checkout runs in it.
const { readTranscriptsJsonl } = (await import(
  resolve(ROOT[side ?? 'new'], 'src/data/read-transcripts.ts')
)) as typeof reader;
const train = await readTranscriptsJsonl(resolve(data, 'train.jsonl'));
const target = train[0]!.target!;
const long: Transcript = {
  target,
  messages: Array.from({ length: 200 }, (_, i) => ({
    speaker: i % 2 === 0 ? target : 'other',
    text: train[i % train.length]!.messages[i % 3]?.text ?? 'hello there',
    timestamp: 1_700_000_000_000 + i * 4_000,
  })),
};

type Registry = Pick<typeof registry, 'createDetector' | 'createEnsemble'>;

/** The detectors timed, in the order {@link build} returns them. */
const LABELS = [
  'heuristic',
  'embedding (hashing, fitted)',
  'stacking ensemble of both (fitted)',
  'embedding, knnStopShare 0.1',
  'stacking ensemble, knnStopShare 0.1',
];
/** Where {@link build} puts the ensemble of default members (the members' split and replay read it). */
const ENSEMBLE = 2;

/** The `knnStopShare` of the last two rows. */
const STOP_SHARE = 0.1;

/**
 * The detectors of one implementation, fitted, in {@link LABELS}' order; the last two undefined when its
 * embedding detector has no `knnStopShare` option (it rejects it).
 */
async function build(r: Registry): Promise<(Detector | undefined)[]> {
  const heuristic = await r.createDetector({ type: 'heuristic' });
  const fitted = async (spec: Record<string, unknown>): Promise<Detector> => {
    const embedding = await r.createDetector(spec as never);
    await embedding.fit?.(train);
    return embedding;
  };
  const ensembleOf = async (spec: Record<string, unknown>): Promise<Detector> => {
    const ensemble = await r.createEnsemble({
      strategy: 'stacking',
      detectors: [{ type: 'heuristic' }, spec as never],
    });
    await ensemble.fit(train);
    return ensemble;
  };
  const plain = { type: 'embedding', embedder: 'hashing' };
  const stopped = { ...plain, knnStopShare: STOP_SHARE };
  const hasStopShare = await r.createDetector(stopped as never).then(
    () => true,
    () => false,
  );
  return [
    heuristic,
    await fitted(plain),
    await ensembleOf(plain),
    hasStopShare ? await fitted(stopped) : undefined,
    hasStopShare ? await ensembleOf(stopped) : undefined,
  ];
}

/** What {@link readEvidence} read, so that the reads are not optimized away. */
let evidenceRead = 0;

/** Reads a detection's evidence (writing it, where it is written on first read). */
function readEvidence(d: Detection): void {
  evidenceRead += d.evidence.length;
}

async function pushAll(d: Detector, read = false): Promise<Detection> {
  const live = d.stream?.({ target });
  if (!live) throw new Error(`${d.name} has no stream()`);
  let last: Detection | undefined;
  for (const m of long.messages) {
    last = await live.push(m);
    if (read) readEvidence(last);
  }
  return last!;
}

/**
 * Milliseconds of CPU time (user + system, this process) per call of each function: rounds alternate
 * between the functions for about `budgetMs` after a warm-up, and each one's median round is reported. CPU
 * time and alternating rounds keep other processes on a shared machine from deciding the ratios.
 */
async function time(
  fns: { run: () => Promise<unknown>; batch: number }[],
  budgetMs: number,
): Promise<number[]> {
  for (const f of fns) for (let i = 0; i < f.batch; i++) await f.run();
  const rounds: number[][] = fns.map(() => []);
  const start = performance.now();
  // Which function runs first alternates round by round (the first half of them, then the second half, and
  // the other way round), so that none always runs straight after the same one.
  const half = fns.length >> 1;
  let round = 0;
  while (performance.now() - start < budgetMs || rounds[0]!.length < 5) {
    const shift = round++ % 2 === 1 ? half : 0;
    for (let slot = 0; slot < fns.length; slot++) {
      const k = (slot + shift) % fns.length;
      const f = fns[k]!;
      const c0 = process.cpuUsage();
      for (let i = 0; i < f.batch; i++) await f.run();
      const c = process.cpuUsage(c0);
      rounds[k]!.push((c.user + c.system) / 1000 / f.batch);
    }
  }
  return rounds.map((r) => r.sort((a, b) => a - b)[r.length >> 1]!);
}

type WithMembers = Detector & { members: readonly Detector[] };

/** The ensemble's members' streams pushed `long`'s messages without it: each message to every member in turn. */
async function pushMembersSideBySide(ensemble: Detector): Promise<void> {
  const streams = (ensemble as WithMembers).members.map((m) => m.stream?.({ target }));
  for (const msg of long.messages) for (const s of streams) await s?.push(msg);
}

/**
 * What an embedding detector's fitted model holds (through its internal stream parts): its labelled vectors (what
 * a push walks) and how many training examples its centroids, probe and calibration came from.
 */
async function fitted(d: Detector): Promise<{ vectors: ArrayLike<number>[]; examples: number }> {
  type Parts = { m: { vectors: unknown[]; training: { examples: number } } };
  const { m } = await (d as Detector & { streamParts(): Promise<Parts> }).streamParts();
  const vectors = m.vectors.map((v) =>
    v instanceof Float32Array ? v : (v as { values: Float32Array }).values,
  );
  return { vectors, examples: m.training.examples };
}

/**
 * Replaces each member's stream with a replay of the detections its real stream gave on `long` (the same
 * objects, handed back at once through `pushNow`), so the ensemble's pushes then cost its own work alone:
 * checking each message, settling the members' answers, combining, building the result.
 */
async function replayMembers(ensemble: Detector): Promise<void> {
  for (const m of (ensemble as WithMembers).members) {
    const live = m.stream?.({ target });
    if (!live) throw new Error(`${m.name} has no stream()`);
    const recorded: Detection[] = [];
    for (const msg of long.messages) recorded.push(await live.push(msg));
    Object.defineProperty(m, 'stream', {
      value: () => {
        let i = 0;
        const pushNow = (): Detection => recorded[i++]!;
        return {
          canPushNow: () => i < recorded.length,
          pushNow,
          push: async () => pushNow(),
          detection: () => recorded[i - 1],
        };
      },
    });
  }
}

/** One detector's figures in one child: CPU ms of detect() and of the 200 pushes, and whether they agree. */
interface DetectorFigures {
  detect: number;
  pushes: number;
  /** The last push's detection equals detect()'s (same label, score within 1e-12). */
  equal: boolean;
  /** The same score, bit for bit. */
  sameBits: boolean;
  /** CPU ms of detect() with its evidence read, and of the 200 pushes with every push's evidence read. */
  detectRead: number;
  pushesRead: number;
}

/** The ensemble's members' streams pushed without it, and what its embedding member holds. */
interface MemberFigures {
  /** CPU ms of the 200 pushes of the heuristic member alone, then of the embedding member alone. */
  alone: [number, number];
  /** CPU ms of the 200 pushes to both members, each message to both in turn. */
  sideBySide: number;
  examples: number;
  aloneExamples: number;
  vectors: number;
  aloneVectors: number;
  sameSet: boolean;
}

/** What an open stream holds and what opening one costs (the embedding detector's or the ensemble's). */
interface OpenFigures {
  /**
   * KiB per open stream (pushed 5 messages): heap used, ArrayBuffers (typed arrays). (Not the resident set: it
   * reuses the pages the streams measured before freed, so the ensemble's, measured second, read about 50 KiB
   * whatever it held.)
   */
  heapKiB: number;
  buffersKiB: number;
  /** CPU µs to open a stream and push 1 message, and detect() on that message; the same for 5 messages. */
  open1: number;
  detect1: number;
  open5: number;
  detect5: number;
}

/** One child process's figures. */
interface ChildFigures {
  /** In {@link LABELS}' order; null for a detector this implementation does not have. */
  detectors: (DetectorFigures | null)[];
  /** CPU ms of the ensemble's 200 pushes with its members replayed: its own work. */
  own: number;
  members: MemberFigures;
  /** The embedding detector's, then the ensemble's. */
  open: [OpenFigures, OpenFigures];
}

/** Builds, fits and times one implementation alone in this process (a child of the bench). */
async function timeOne(side: Side): Promise<ChildFigures> {
  const fresh = await build((await import(resolve(ROOT[side], 'src/detectors/registry.ts'))) as Registry);
  const detectors: (DetectorFigures | null)[] = [];
  for (const d of fresh) {
    if (!d) {
      detectors.push(null);
      continue;
    }
    // The same batches as before the split into children (20 detect() calls, 2 runs of the 200 pushes a round).
    const [detect = 0, pushes = 0] = await time(
      [
        { run: () => d.detect(long), batch: 20 },
        { run: () => pushAll(d), batch: 2 },
      ],
      4000,
    );
    const [detectRead = 0, pushesRead = 0] = await time(
      [
        { run: () => d.detect(long).then(readEvidence), batch: 20 },
        { run: () => pushAll(d, true), batch: 2 },
      ],
      2000,
    );
    const [last, whole] = [await pushAll(d), await d.detect(long)];
    const equal =
      last.label === whole.label &&
      (last.score === whole.score ||
        (last.score !== null && whole.score !== null && Math.abs(last.score - whole.score) <= 1e-12));
    detectors.push({
      detect,
      pushes,
      equal,
      sameBits: Object.is(last.score, whole.score),
      detectRead,
      pushesRead,
    });
  }
  if (evidenceRead === 0) throw new Error('no evidence was read');
  const ens = fresh[ENSEMBLE]!;
  // Before the members' split: it replaces the ensemble members' streams with replays.
  const open: [OpenFigures, OpenFigures] = [await openCost(fresh[1]!), await openCost(ens)];
  const members = await splitMembers(ens, fresh[1]!);
  // The ensemble's own share of the 200 pushes (issue 11: pushes cost about the members' streams plus little).
  const whole = (await pushAll(ens)).score;
  await replayMembers(ens);
  if ((await pushAll(ens)).score !== whole)
    throw new Error('the replayed members changed the last detection');
  const [own = 0] = await time([{ run: () => pushAll(ens), batch: 10 }], 2500);
  return { detectors, own, members, open };
}

/** How many streams {@link openCost} holds open at once. */
const OPEN_STREAMS = 2000;

/** A full garbage collection (the flag set at run time: the children run without --expose-gc). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/**
 * What {@link OPEN_STREAMS} open streams of `d` hold, each pushed `long`'s first 5 messages (3 from the target),
 * per stream; and the CPU µs of opening a stream and pushing 1 or 5 messages against detect() on the same prefix.
 */
async function openCost(d: Detector): Promise<OpenFigures> {
  const first = long.messages.slice(0, 5);
  const open = async (n: number): Promise<void> => {
    const live = d.stream?.({ target });
    if (!live) throw new Error(`${d.name} has no stream()`);
    for (let i = 0; i < n; i++) await live.push(first[i]!);
  };
  await open(5);
  collect();
  const a = process.memoryUsage();
  const held: unknown[] = [];
  for (let k = 0; k < OPEN_STREAMS; k++) {
    const live = d.stream?.({ target });
    for (const m of first) await live?.push(m);
    held.push(live);
  }
  collect();
  const b = process.memoryUsage();
  const per = (x: number): number => x / OPEN_STREAMS / 1024;
  held.length = 0;
  collect();
  const prefix = (n: number): Transcript => ({ target, messages: first.slice(0, n) });
  const [open1 = 0, detect1 = 0, open5 = 0, detect5 = 0] = await time(
    [
      { run: () => open(1), batch: 20 },
      { run: () => d.detect(prefix(1)), batch: 20 },
      { run: () => open(5), batch: 20 },
      { run: () => d.detect(prefix(5)), batch: 20 },
    ],
    2000,
  );
  const us = 1000;
  return {
    heapKiB: per(b.heapUsed - a.heapUsed),
    buffersKiB: per(b.arrayBuffers - a.arrayBuffers),
    open1: open1 * us,
    detect1: detect1 * us,
    open5: open5 * us,
    detect5: detect5 * us,
  };
}

/**
 * The ensemble's members' streams without it: one after the other, then side by side (the difference is what
 * pushing two detectors' streams in turn costs beyond each alone: on a 2-core machine shared with other work,
 * 0.5 ms in one run, 2026-12-06); and whether its embedding member holds the labelled set of `embedding`, the
 * detector fitted alone.
 */
async function splitMembers(ens: Detector, embedding: Detector): Promise<MemberFigures> {
  const [heuristicMember, embeddingMember] = (ens as WithMembers).members;
  const [alone0 = 0, alone1 = 0, sideBySide = 0] = await time(
    [
      { run: () => pushAll(heuristicMember!), batch: 2 },
      { run: () => pushAll(embeddingMember!), batch: 2 },
      { run: () => pushMembersSideBySide(ens), batch: 2 },
    ],
    3000,
  );
  const [mine, alone] = [await fitted(embeddingMember!), await fitted(embedding)];
  const sameSet =
    mine.vectors.length === alone.vectors.length &&
    mine.vectors.every(
      (v, j) =>
        v.length === alone.vectors[j]!.length &&
        Array.prototype.every.call(v, (x, i) => x === alone.vectors[j]![i]),
    );
  return {
    alone: [alone0, alone1],
    sideBySide,
    examples: mine.examples,
    aloneExamples: alone.examples,
    vectors: mine.vectors.length,
    aloneVectors: alone.vectors.length,
    sameSet,
  };
}

if (side !== undefined) reportFromChild(await timeOne(side));

const hasOld = existsSync(resolve(ROOT.old, 'src/detectors/registry.ts'));
const pairs = benchRepeats();
const { newRuns, oldRuns } = runChildren<ChildFigures>(
  { script: import.meta.filename, envVar: 'BOTLENS_STREAM_CHILD', name: 'stream' },
  pairs,
  hasOld,
);
const med = (runs: ChildFigures[], f: (r: ChildFigures) => number): number => median(runs.map(f));
const ms = (x: number): string => x.toFixed(2);

console.log(
  `node ${process.version}; 200-message transcript, 100 from the target; CPU ms per call, each figure the median over ${pairs} child process(es) per implementation, run alternately (each child builds, fits and times one implementation alone: the median of its alternating rounds)`,
);
if (!hasOld) console.log(`(old implementation not found at ${BASE}: its columns are left out)`);
console.log('');
console.log(
  '| detector | old: detect() | old: 200 pushes | old: pushes / detect | new: detect() | new: 200 pushes | new: pushes / detect | last push equals detect() |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
/** The children's figures for detector `i` (those that have it). */
const figuresOf = (runs: ChildFigures[], i: number): DetectorFigures[] =>
  runs.flatMap((r) => (r.detectors[i] ? [r.detectors[i]] : []));
/** detect(), pushes and their ratio for detector `i`, each the median over `runs` (the ratio: of the children's). */
const cols = (runs: ChildFigures[], i: number): string => {
  const f = figuresOf(runs, i);
  if (f.length === 0) return '- | - | -';
  const d = median(f.map((x) => x.detect));
  const p = median(f.map((x) => x.pushes));
  const ratio = median(f.map((x) => x.pushes / x.detect));
  return `${ms(d)} | ${ms(p)} | ${ratio.toFixed(2)}x`;
};
LABELS.forEach((label, i) => {
  const f = figuresOf(newRuns, i);
  const equal = f.every((x) => x.equal);
  const bits = f.every((x) => x.sameBits) ? ' (bit for bit)' : '';
  console.log(`| ${label} | ${cols(oldRuns, i)} | ${cols(newRuns, i)} | ${equal}${bits} |`);
});

console.log('');
const perChild = (which: string, runs: ChildFigures[]): void => {
  const each = (f: (d: DetectorFigures) => string) =>
    LABELS.map((label, i) => `${label} ${figuresOf(runs, i).map(f).join(' / ')}`).join('; ');
  console.log(
    `200 pushes per child (${which}), ms: ${each((d) => ms(d.pushes))}; the ensemble's own work (members replayed) ${runs.map((r) => ms(r.own)).join(' / ')}`,
  );
  console.log(`pushes / detect per child (${which}): ${each((d) => `${(d.pushes / d.detect).toFixed(2)}x`)}`);
};
perChild('new', newRuns);
if (hasOld) perChild('old', oldRuns);

/** Per detector: the 200 pushes with every push's evidence read against one detect() whose evidence is read. */
const evidenceLine = (runs: ChildFigures[]): string =>
  LABELS.flatMap((label, i) => {
    const f = figuresOf(runs, i);
    if (f.length === 0) return [];
    const p = median(f.map((x) => x.pushesRead));
    const d = median(f.map((x) => x.detectRead));
    return [
      `${label} ${ms(p)} ms against ${ms(d)} ms (${median(f.map((x) => x.pushesRead / x.detectRead)).toFixed(2)}x)`,
    ];
  }).join('; ');
console.log('');
console.log(
  "Reading the evidence too (it is written when first read): CPU ms of the 200 pushes when the caller reads every push's evidence, against one detect() whose evidence is read (medians over the children).",
);
console.log(`- new: ${evidenceLine(newRuns)}`);
if (hasOld) console.log(`- old: ${evidenceLine(oldRuns)}`);

/** The members' split of `runs`, each timing the median over the children. */
const membersLine = (which: string, runs: ChildFigures[]): string => {
  const m = runs.map((r) => r.members);
  const [alone0, alone1, sideBySide] = [
    median(m.map((x) => x.alone[0])),
    median(m.map((x) => x.alone[1])),
    median(m.map((x) => x.sideBySide)),
  ];
  const first = m[0]!;
  const sameSet = m.every((x) => x.sameSet);
  return `The ensemble's members' streams without it (${which}): the heuristic's 200 pushes ${ms(alone0)} ms and the embedding member's ${ms(alone1)} ms one after the other (${ms(alone0 + alone1)} ms), side by side (each message to both in turn) ${ms(sideBySide)} ms. Its embedding member was fitted on ${first.examples} examples (the detector alone: ${first.aloneExamples}; the ensemble adds prefix cuts) and holds ${first.vectors} labelled vectors, ${sameSet ? 'the same' : 'not the same'} as the detector fitted alone (${first.aloneVectors}).`;
};
console.log('');
console.log(membersLine('new', newRuns));
if (hasOld) console.log(membersLine('old', oldRuns));
console.log('');
console.log(
  `The ensemble's own work in its 200 pushes (members replayed from recorded detections): ${hasOld ? `old ${ms(med(oldRuns, (r) => r.own))} ms, ` : ''}new ${ms(med(newRuns, (r) => r.own))} ms.`,
);

/** The open-stream figures of `runs` for the embedding detector (0) or the ensemble (1), medians over the children. */
const openLine = (which: string, runs: ChildFigures[], i: 0 | 1): string => {
  const m = (f: (o: OpenFigures) => number): number => median(runs.map((r) => f(r.open[i])));
  const kib = (x: number): string => x.toFixed(1);
  const us = (x: number): string => x.toFixed(0);
  return `${which}: ${kib(m((o) => o.heapKiB))} KiB heap + ${kib(m((o) => o.buffersKiB))} KiB typed arrays per stream; open + 1 push ${us(m((o) => o.open1))} µs against detect() ${us(m((o) => o.detect1))} µs, open + 5 pushes ${us(m((o) => o.open5))} µs against ${us(m((o) => o.detect5))} µs`;
};
console.log('');
console.log(
  `Open streams (a service holds many, mostly short chats): ${OPEN_STREAMS} streams held open, each pushed the transcript's first 5 messages (3 from the target), growth per stream after a full GC; CPU µs of opening a stream and pushing its first 1 or 5 messages against detect() on the same prefix (medians over the children).`,
);
for (const [label, i] of [
  ['embedding (hashing, fitted)', 0],
  ['stacking ensemble', 1],
] as const) {
  if (hasOld) console.log(`- ${openLine(`${label}, old`, oldRuns, i)}`);
  console.log(`- ${openLine(`${label}, new`, newRuns, i)}`);
}
