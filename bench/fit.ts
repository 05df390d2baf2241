/**
 * Fit times and dev F1 on ConvAI (../shared/data/convai-bots): the hashing embedding detector, the heuristic +
 * embedding stacking ensemble (its out-of-fold fitting refits both members per fold) and a distillation student
 * (a linear probe on 1024-bucket hashed features learning the stacking ensemble's scores).
 *
 * Wall time and the process's CPU time (user + system) per fit, min and median over repeats: CPU time holds up
 * better than wall time on a shared machine. With BOTLENS_BENCH_BASELINE=<checkout> (a built checkout of an
 * earlier botlens, e.g. /work/base) the same fits run on that code in the same process, side by side (rounds
 * alternate the two checkouts, `BENCH_BASELINE_REPEATS` rounds for the baseline, default the same as
 * `BENCH_REPEATS`), and the ratios are printed.
 *
 *   npx tsx bench/fit.ts
 *   BOTLENS_BENCH_BASELINE=/work/base BENCH_REPEATS=5 npx tsx bench/fit.ts
 *
 * needs: shared
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Detector, LabelledTranscript, Transcript } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
if (!existsSync(join(shared, 'data/convai-bots/train.jsonl'))) {
  console.log(`skipped: ${shared} not found (needs the ConvAI data)`);
  process.exit(0);
}
const REPEATS = Math.max(1, Number(process.env['BENCH_REPEATS'] ?? 3));
const BASE_REPEATS = Math.max(1, Number(process.env['BENCH_BASELINE_REPEATS'] ?? REPEATS));
const baselineDir = process.env['BOTLENS_BENCH_BASELINE'];

/** The classes a fit needs, from one checkout's sources. */
interface Code {
  label: string;
  readTranscriptsJsonl: (file: string) => Promise<LabelledTranscript[]>;
  evaluateDetector: (
    d: Detector,
    data: LabelledTranscript[],
    o?: { batchSize?: number },
  ) => Promise<{ f1: number | null }>;
  embedding: () => Detector & { fit(e: LabelledTranscript[]): Promise<void> };
  stacking: () => Detector & { fit(e: LabelledTranscript[]): Promise<void> };
  student: () => Detector & { fitSoft(t: readonly Transcript[], y: readonly number[]): Promise<void> };
}

async function load(root: string, label: string): Promise<Code> {
  const imp = (p: string) => import(pathToFileURL(join(root, 'src', p)).href);
  const [data, evaluate, emb, heur, ens, hashing] = await Promise.all([
    imp('data/read-transcripts.ts'),
    imp('eval/evaluate.ts'),
    existsSync(join(root, 'src/detectors/embedding/embedding-centroid-detector.ts'))
      ? imp('detectors/embedding/embedding-centroid-detector.ts')
      : imp('detectors/embedding-centroid.ts'),
    imp('detectors/heuristic/heuristic-detector.ts'),
    imp('ensemble/ensemble.ts'),
    imp('runtime/hashing-embedder.ts'),
  ]);
  const probe = existsSync(join(root, 'src/detectors/linear-probe/linear-probe-detector.ts'))
    ? await imp('detectors/linear-probe/linear-probe-detector.ts')
    : await imp('peft/linear-probe.ts');
  const embedding = () => new emb.EmbeddingCentroidDetector({ embedder: new hashing.HashingEmbedder() });
  return {
    label,
    readTranscriptsJsonl: data.readTranscriptsJsonl,
    evaluateDetector: evaluate.evaluateDetector,
    embedding,
    stacking: () => new ens.Ensemble([new heur.HeuristicDetector(), embedding()], { strategy: 'stacking' }),
    student: () =>
      new probe.LinearProbeDetector({
        name: 'student-hash',
        embedder: new hashing.HashingEmbedder({ dim: 1024 }),
      }),
  };
}

interface Timing {
  wallMs: number[];
  cpuMs: number[];
}

async function timed(fn: () => Promise<void>, t: Timing): Promise<void> {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  await fn();
  t.wallMs.push(performance.now() - w0);
  const c = process.cpuUsage(c0);
  t.cpuMs.push((c.user + c.system) / 1000);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Row {
  what: string;
  code: string;
  t: Timing;
  f1: number | null;
}

async function measure(code: Code, repeats: number): Promise<Row[]> {
  const train = await code.readTranscriptsJsonl(join(shared, 'data/convai-bots/train.jsonl'));
  const dev = await code.readTranscriptsJsonl(join(shared, 'data/convai-bots/dev.jsonl'));
  const rows: Row[] = [];
  /** Fits `repeats` fresh detectors, timing each fit, and adds a row with the last one's dev F1. */
  async function timeFits<D extends Detector>(
    what: string,
    make: () => D,
    runFit: (d: D) => Promise<void>,
  ): Promise<D> {
    const t: Timing = { wallMs: [], cpuMs: [] };
    let last: D | undefined;
    for (let r = 0; r < repeats; r++) {
      const d = make();
      await timed(() => runFit(d), t);
      await last?.dispose?.();
      last = d;
    }
    rows.push({ what, code: code.label, t, f1: (await code.evaluateDetector(last!, dev)).f1 });
    return last!;
  }
  const emb = await timeFits('embedding (hashing) fit', code.embedding, (d) => d.fit(train));
  await emb.dispose?.();
  const teacher = await timeFits('heuristic + embedding stacking fit', code.stacking, (e) => e.fit(train));

  // The student learns the stacking ensemble's scores on the (unlabelled) train transcripts.
  const unlabelled: Transcript[] = train.map(({ label: _label, ...t }) => t);
  const scores = (await teacher.detectBatch!(unlabelled)).map((d) => d.score);
  const keep = scores.map((s, i) => (s === null ? -1 : i)).filter((i) => i >= 0);
  await timeFits('distillation student fit (probe, hashing-1024)', code.student, (s) =>
    s.fitSoft(
      keep.map((i) => unlabelled[i]!),
      keep.map((i) => scores[i]!),
    ),
  );
  await teacher.dispose?.();
  return rows;
}

/** Adds one round's rows to the rows so far (timings appended, the latest dev F1 kept). */
function merge(into: Row[], round: Row[]): void {
  for (const r of round) {
    const known = into.find((x) => x.what === r.what);
    if (!known) into.push(r);
    else {
      known.t.wallMs.push(...r.t.wallMs);
      known.t.cpuMs.push(...r.t.cpuMs);
      known.f1 = r.f1;
    }
  }
}

const root = resolve(here, '..');
const loadBefore = loadavg()[0]!;
const mine = await load(root, 'this checkout');
const theirs = baselineDir ? await load(resolve(baselineDir), `baseline (${baselineDir})`) : undefined;
const rows: Row[] = [];
const base: Row[] = [];
// Rounds alternate the two checkouts (and which goes first), so a change in the machine's load falls on both.
for (let r = 0; r < Math.max(REPEATS, theirs ? BASE_REPEATS : 0); r++) {
  const order = r % 2 === 0 ? ([mine, theirs] as const) : ([theirs, mine] as const);
  for (const code of order) {
    if (code === undefined) continue;
    const ours = code === mine;
    if (r >= (ours ? REPEATS : BASE_REPEATS)) continue;
    merge(ours ? rows : base, await measure(code, 1));
  }
}

console.log(
  `ConvAI train (1154 transcripts) -> dev (384); node ${process.version}; ${REPEATS} repeats (baseline ${BASE_REPEATS}); load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
);
console.log('\n| fit | code | wall min | wall median | CPU min | CPU median | dev F1 |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of [...rows, ...base].sort((a, b) => a.what.localeCompare(b.what))) {
  console.log(
    `| ${r.what} | ${r.code} | ${sec(Math.min(...r.t.wallMs))} | ${sec(median(r.t.wallMs))} | ${sec(Math.min(...r.t.cpuMs))} | ${sec(median(r.t.cpuMs))} | ${r.f1 === null ? 'n/a' : r.f1.toFixed(4)} |`,
  );
}
if (base.length > 0) {
  console.log(
    '\n| fit | speed-up (CPU min) | speed-up (CPU median) | speed-up (wall min) | speed-up (wall median) |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const b = base.find((x) => x.what === r.what)!;
    console.log(
      `| ${r.what} | ${(Math.min(...b.t.cpuMs) / Math.min(...r.t.cpuMs)).toFixed(2)}x | ${(median(b.t.cpuMs) / median(r.t.cpuMs)).toFixed(2)}x | ${(Math.min(...b.t.wallMs) / Math.min(...r.t.wallMs)).toFixed(2)}x | ${(median(b.t.wallMs) / median(r.t.wallMs)).toFixed(2)}x |`,
    );
  }
}
