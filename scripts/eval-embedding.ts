/**
 * Fits EmbeddingCentroidDetector with the model-free HashingEmbedder on the ConvAI train split and measures it
 * on dev (bot = positive, threshold 0.5). With `--cv`, also runs a 5-fold cross-validation on train (folds by
 * conversation), which is what settings were chosen on; dev was only looked at.
 *
 *   npx tsx scripts/eval-embedding.ts [--cv] [--data ../shared/data/convai-bots] [--embedder '{"dim":4096}']
 *     [--detector '{"k":10}']
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { LabelledTranscript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../src/detectors/embedding/embedding-centroid-detector.js';
import type { EmbeddingCentroidOptions } from '../src/detectors/embedding/options.js';
import { computeMetrics } from '../src/eval/metrics.js';
import { HashingEmbedder, type HashingEmbedderOptions } from '../src/runtime/hashing-embedder.js';

const { values } = parseArgs({
  options: {
    cv: { type: 'boolean', default: false },
    data: { type: 'string', default: resolve(import.meta.dirname, '../../shared/data/convai-bots') },
    embedder: { type: 'string', default: '{}' },
    detector: { type: 'string', default: '{}' },
  },
});
const embedderOptions = JSON.parse(values.embedder) as HashingEmbedderOptions;
const detectorOptions = JSON.parse(values.detector) as EmbeddingCentroidOptions;

function make(): EmbeddingCentroidDetector {
  return new EmbeddingCentroidDetector({
    ...detectorOptions,
    embedder: new HashingEmbedder(embedderOptions),
  });
}

async function scoreAll(d: EmbeddingCentroidDetector, rows: LabelledTranscript[]): Promise<number[]> {
  const got = await d.detectBatch(rows);
  return got.map((x) => x.score ?? 0.5);
}

function line(what: string, scores: number[], rows: LabelledTranscript[]): string {
  const m = computeMetrics(
    scores,
    rows.map((r) => r.label),
  );
  const f = (x: number | null) => (x === null ? '   -  ' : x.toFixed(4));
  return `${what.padEnd(14)} n=${String(m.n).padStart(4)}  F1 ${f(m.f1)}  P ${f(m.precision)}  R ${f(m.recall)}  AUROC ${f(m.auroc)}  ECE ${f(m.ece)}`;
}

const train = await readTranscriptsJsonl(`${values.data}/train.jsonl`);
const dev = await readTranscriptsJsonl(`${values.data}/dev.jsonl`);
console.log(
  `embedder ${new HashingEmbedder(embedderOptions).id}; detector options ${JSON.stringify(detectorOptions)}`,
);

if (values.cv) {
  // Folds by conversation (both speakers of a dialogue together), assigned round-robin in file order.
  const key = (t: LabelledTranscript) => JSON.stringify(t.messages);
  const groups = [...new Set(train.map(key))];
  const foldOf = new Map(groups.map((g, i) => [g, i % 5]));
  const scores = new Array<number>(train.length);
  for (let f = 0; f < 5; f++) {
    const d = make();
    await d.fit(train.filter((t) => foldOf.get(key(t)) !== f));
    const held = train.map((t, i) => [t, i] as const).filter(([t]) => foldOf.get(key(t)) === f);
    const s = await scoreAll(
      d,
      held.map(([t]) => t),
    );
    held.forEach(([, i], j) => {
      scores[i] = s[j]!;
    });
  }
  console.log(line('train 5-fold', scores, train));
}

const d = make();
const t0 = performance.now();
await d.fit(train);
const fitS = (performance.now() - t0) / 1000;
const t1 = performance.now();
const devScores = await scoreAll(d, dev);
const detectMs = (performance.now() - t1) / dev.length;
console.log(line('dev', devScores, dev));
console.log(
  `fit ${fitS.toFixed(1)} s on ${train.length} transcripts (search: ${d.searchMethod}); detect ${detectMs.toFixed(2)} ms per transcript (batched); state ${(JSON.stringify(d.toJSON()).length / 2 ** 20).toFixed(1)} MB of JSON`,
);
