/**
 * Prints the training-split statistics behind `DEFAULT_HEURISTIC_WEIGHTS`, the weights `fit()` learns beside the
 * hand-set ones, and the dev figures (F1, precision, recall, AUROC; bot = positive, threshold 0.5) of both.
 *
 * The statistics and the fit use the training split only; dev is scored once at the end, for the report.
 *
 *   npx tsx scripts/fit-heuristic-defaults.ts [data-dir]   (default: ../shared/data/convai-bots)
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabelledTranscript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { DEFAULT_HEURISTIC_WEIGHTS } from '../src/detectors/heuristic/default-weights.js';
import { FEATURE_TRANSFORMS } from '../src/detectors/heuristic/feature-model.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { STYLE_FEATURE_NAMES } from '../src/detectors/heuristic/style-feature-types.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(process.argv[2] ?? resolve(here, '../../shared/data/convai-bots'));

/** Area under the ROC curve by the rank-sum formula, ties counted as half. */
function auroc(scores: readonly number[], positive: readonly boolean[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let rankSum = 0;
  let np = 0;
  for (let i = 0; i < scores.length; i++) {
    if (positive[i]) {
      rankSum += ranks[i]!;
      np++;
    }
  }
  const nn = scores.length - np;
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}

async function evaluate(d: HeuristicDetector, rows: LabelledTranscript[]) {
  const dets = await d.detectBatch(rows);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let abstained = 0;
  const scores: number[] = [];
  const pos: boolean[] = [];
  dets.forEach((det, i) => {
    const isBot = rows[i]!.label === 'bot';
    if (det.score === null) abstained++;
    const s = det.score ?? 0.5;
    scores.push(s);
    pos.push(isBot);
    const predBot = s >= d.threshold;
    if (predBot && isBot) tp++;
    else if (predBot) fp++;
    else if (isBot) fn++;
  });
  const precision = tp / Math.max(1, tp + fp);
  const recall = tp / Math.max(1, tp + fn);
  const f1 = (2 * tp) / Math.max(1, 2 * tp + fp + fn);
  return { f1, precision, recall, auroc: auroc(scores, pos), abstained };
}

const f3 = (x: number): string => x.toFixed(3);

async function main(): Promise<void> {
  const trainPath = resolve(dir, 'train.jsonl');
  if (!existsSync(trainPath)) {
    console.error(`No ${trainPath}: pass the folder holding train.jsonl and dev.jsonl.`);
    process.exitCode = 1;
    return;
  }
  const train = await readTranscriptsJsonl(trainPath);
  const probe = new HeuristicDetector();
  const feats = train.map((t) => probe.features(t).values);
  const isBot = train.map((t) => t.label === 'bot');

  console.log(`train: ${train.length} speakers (${isBot.filter(Boolean).length} bot)\n`);
  console.log('signal                     present   mean     sd  mean(bot) mean(human)  AUROC');
  for (const name of STYLE_FEATURE_NAMES) {
    const xs: number[] = [];
    const ys: boolean[] = [];
    feats.forEach((f, i) => {
      const v = f[name];
      if (v !== null) {
        xs.push(FEATURE_TRANSFORMS[name](v));
        ys.push(isBot[i]!);
      }
    });
    if (xs.length === 0) {
      console.log(`${name.padEnd(26)} ${'0'.padStart(7)}   (not measurable on this data)`);
      continue;
    }
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    const avg = (want: boolean) => {
      const sel = xs.filter((_, i) => ys[i] === want);
      return sel.reduce((s, x) => s + x, 0) / Math.max(1, sel.length);
    };
    console.log(
      `${name.padEnd(26)} ${String(xs.length).padStart(7)} ${f3(mean).padStart(6)} ${f3(sd).padStart(6)} ${f3(avg(true)).padStart(10)} ${f3(avg(false)).padStart(11)} ${f3(auroc(xs, ys)).padStart(6)}`,
    );
  }

  const fitted = new HeuristicDetector();
  const t0 = performance.now();
  await fitted.fit(train);
  const fitMs = performance.now() - t0;
  const fw = fitted.weights;
  console.log(`\nweights (log-odds per standard deviation); fit took ${fitMs.toFixed(0)} ms`);
  console.log('signal                     default   fitted');
  console.log(
    `${'(intercept)'.padEnd(26)} ${f3(DEFAULT_HEURISTIC_WEIGHTS.intercept).padStart(7)} ${f3(fw.intercept).padStart(8)}`,
  );
  for (const name of STYLE_FEATURE_NAMES) {
    console.log(
      `${name.padEnd(26)} ${f3(DEFAULT_HEURISTIC_WEIGHTS.features[name].weight).padStart(7)} ${f3(fw.features[name].weight).padStart(8)}`,
    );
  }

  const devPath = resolve(dir, 'dev.jsonl');
  if (!existsSync(devPath)) {
    console.log(`\nNo ${devPath}: skipping the dev figures.`);
    return;
  }
  const dev = await readTranscriptsJsonl(devPath);
  console.log(
    `\ndev: ${dev.length} speakers (${dev.filter((t) => t.label === 'bot').length} bot), threshold 0.5`,
  );
  console.log('model      F1      P      R   AUROC  abstained');
  for (const [label, d] of [
    ['defaults', new HeuristicDetector()],
    ['fitted', fitted],
  ] as const) {
    const m = await evaluate(d, dev);
    console.log(
      `${label.padEnd(8)} ${f3(m.f1)} ${f3(m.precision)} ${f3(m.recall)} ${f3(m.auroc).padStart(7)} ${String(m.abstained).padStart(10)}`,
    );
  }
}

await main();
