// needs: shared
/**
 * Corpus scoring throughput (transcripts/s) of scoreCorpus — what `botlens score` runs — for the heuristic
 * ensemble and the heuristic + hashing-embedding ensemble (fitted on ConvAI train), in this thread and on 1 and
 * 2 worker threads, beside a plain `for … await detector.detect()` loop over the same transcripts (parsed in
 * the loop too), measured in one run. The corpus is ConvAI dev (384 transcripts) repeated: x16 (6144 lines) for
 * the heuristic, x2 (768) for the slower embedding ensemble. Thread figures include starting the pool.
 *
 *   npx tsx bench/score.ts
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScoringDetector } from '../src/corpus/build-detector.js';
import { scoreCorpus } from '../src/corpus/score-corpus.js';
import type { ScoringDetector } from '../src/corpus/types.js';
import { parseTranscriptsJsonl, readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { createEnsemble } from '../src/detectors/registry.js';

const data = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/data/convai-bots');
if (!existsSync(data)) {
  console.log(`skipped: ${data} not found`);
  process.exit(0);
}

const dev = (await readFile(resolve(data, 'dev.jsonl'), 'utf8')).split('\n').filter((l) => l.trim());
const corpus = (times: number) => Array.from({ length: times }, () => dev).flat();
const train = await readTranscriptsJsonl(resolve(data, 'train.jsonl'));

const heuristic: ScoringDetector = {
  ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] },
};
const both = await createEnsemble({
  strategy: 'weighted-mean',
  detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'hashing' }],
});
await both.fit(train);
const hashing: ScoringDetector = { state: both.toJSON() };

async function viaScoreCorpus(lines: string[], detector: ScoringDetector, threads: number): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for await (const o of scoreCorpus(lines, { detector, threads })) if ('record' in o) n++;
  if (n !== lines.length) throw new Error(`scored ${n} of ${lines.length}`);
  return (n * 1000) / (performance.now() - t0);
}

async function plainLoop(lines: string[], detector: ScoringDetector): Promise<number> {
  const d = await buildScoringDetector(detector);
  const t0 = performance.now();
  for (const l of lines) await d.detect(parseTranscriptsJsonl(l, 'x', { requireLabel: false })[0]!);
  return (lines.length * 1000) / (performance.now() - t0);
}

const load = () => loadavg()[0]!.toFixed(1);
console.log(
  `${availableParallelism()} cores, load average ${load()} at the start (threads only help when cores are free); transcripts/s, best of 2 runs`,
);
console.log('');
console.log(
  '| ensemble | lines | plain detect() loop | scoreCorpus, this thread | 1 worker thread | 2 worker threads | 2 threads vs loop |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, det, times] of [
  ['heuristic', heuristic, 16],
  ['heuristic + embedding (hashing)', hashing, 2],
] as const) {
  const lines = corpus(times);
  const best = async (f: () => Promise<number>) => Math.max(await f(), await f());
  const loop = await best(() => plainLoop(lines, det));
  const t0 = await best(() => viaScoreCorpus(lines, det, 0));
  const t1 = await best(() => viaScoreCorpus(lines, det, 1));
  const t2 = await best(() => viaScoreCorpus(lines, det, 2));
  console.log(
    `| ${name} | ${lines.length} | ${loop.toFixed(0)} | ${t0.toFixed(0)} | ${t1.toFixed(0)} | ${t2.toFixed(0)} | ${(t2 / loop).toFixed(2)}x |`,
  );
}
console.log('');
console.log(`load average ${load()} at the end`);
