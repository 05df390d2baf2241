/**
 * Training in TypeScript on ConvAI (../shared/data/convai-bots): a probing head (logistic regression on frozen
 * mean-pooled embeddings) against LoRA (rank 8, alpha 32, query/value of the top layer, plus the head) and the
 * head alone, on tiny-bert-cls (2 layers, hidden 32) and on the MiniLM-L6-sized bench encoder (6 layers, hidden
 * 384; a classification head is added). Then distillation: a slow ensemble teacher labels the training
 * transcripts and fast students learn its scores. Dev F1 / AUROC are measured on dev.jsonl through the merged
 * models (transformers.js), training time on this machine, all in one run.
 *
 * EVERY MODEL HERE HAS RANDOM WEIGHTS: the F1 figures measure what the training code can fit from scratch-like
 * features, not what a pretrained encoder would reach.
 *
 *   npx tsx bench/lora-train.ts            # full data
 *   npx tsx bench/lora-train.ts --quick    # 300 train / 120 dev transcripts
 *
 * needs: shared
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Detector } from '../src/core/detector.js';
import type { LabelledTranscript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { LinearProbeDetector } from '../src/detectors/linear-probe/linear-probe-detector.js';
import { LoraClassifierDetector } from '../src/detectors/lora/lora-classifier-detector.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import { evaluateDetector } from '../src/eval/evaluate.js';
import { distill } from '../src/peft/distill.js';
import { trainLora } from '../src/peft/training/train-lora.js';
import { HashingEmbedder } from '../src/runtime/hashing-embedder.js';
import { TransformersEmbedder } from '../src/runtime/transformers-embedder.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
if (!existsSync(join(shared, 'data/convai-bots/train.jsonl'))) {
  console.log(`skipped: ${shared} not found (needs the ConvAI data and the fixture models)`);
  process.exit(0);
}
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const TINY = join(shared, 'fixtures/hf-tiny/tiny-bert-cls');
const TINY_ENC = join(shared, 'fixtures/hf-tiny/tiny-bert');
const BENCH = join(shared, 'fixtures/bench/bench-minilm-l6');
const MAX_LEN = 128;

let train = await readTranscriptsJsonl(join(shared, 'data/convai-bots/train.jsonl'));
let dev = await readTranscriptsJsonl(join(shared, 'data/convai-bots/dev.jsonl'));
if (values.quick) {
  train = train.slice(0, 300);
  dev = dev.slice(0, 120);
}
const work = await mkdtemp(join(tmpdir(), 'botlens-bench-lora-'));
process.env['BOTLENS_CACHE_DIR'] = join(work, 'cache');

interface Row {
  method: string;
  model: string;
  trainS: number;
  f1: number | null;
  auroc: number | null;
  share: string;
  note: string;
}
const rows: Row[] = [];
const fmt = (x: number | null, d = 3) => (x === null ? 'n/a' : x.toFixed(d));

async function evaluate(det: Detector, data: LabelledTranscript[]) {
  const r = await evaluateDetector(det, data, { batchSize: 64 });
  return { f1: r.f1, auroc: r.auroc, msPer: r.elapsedMs / Math.max(1, r.n) };
}

async function probeRow(label: string, model: string, make: () => LinearProbeDetector): Promise<void> {
  const probe = make();
  const t0 = performance.now();
  await probe.fit(train);
  const trainS = (performance.now() - t0) / 1000;
  const m = await evaluate(probe, dev);
  rows.push({
    method: 'probing head',
    model,
    trainS,
    f1: m.f1,
    auroc: m.auroc,
    share: 'head only',
    note: label,
  });
  await probe.dispose();
}

async function loraRow(
  method: string,
  model: string,
  base: string,
  targets: ('query' | 'value')[],
): Promise<LoraClassifierDetector> {
  const out = join(work, `adapter-${model}-${targets.join('-') || 'head'}`);
  const t0 = performance.now();
  const res = await trainLora({ model: base, examples: train, targets, maxLength: MAX_LEN, out });
  const trainS = (performance.now() - t0) / 1000;
  const det = new LoraClassifierDetector({
    name: `lora-${model}`,
    model: base,
    adapters: [out],
    maxLength: MAX_LEN,
  });
  const m = await evaluate(det, dev);
  rows.push({
    method,
    model,
    trainS,
    f1: m.f1,
    auroc: m.auroc,
    share: `${res.trainableParameters} / ${res.totalParameters} = ${(100 * res.trainableShare).toFixed(3)}%`,
    note: `encode ${(res.timing.encodeMs / 1000).toFixed(1)} s + train ${(res.timing.trainMs / 1000).toFixed(1)} s, ${res.history.length} epochs (best ${res.bestEpoch}), val F1 ${res.validation.f1.toFixed(3)}`,
  });
  return det;
}

try {
  console.log(
    `ConvAI: ${train.length} train, ${dev.length} dev transcripts; maxLength ${MAX_LEN}; random-weight models.`,
  );
  await probeRow(
    'hashing embedder (no model)',
    'hashing-1024',
    () => new LinearProbeDetector({ embedder: new HashingEmbedder({ dim: 1024 }) }),
  );
  await probeRow(
    'mean-pooled, normalized',
    'tiny-bert',
    () =>
      new LinearProbeDetector({
        embedder: new TransformersEmbedder({ model: TINY_ENC, maxLength: MAX_LEN }),
      }),
  );
  await probeRow(
    'mean-pooled, normalized',
    'bench-minilm-l6',
    () =>
      new LinearProbeDetector({ embedder: new TransformersEmbedder({ model: BENCH, maxLength: MAX_LEN }) }),
  );
  await (await loraRow('head only (LoRA off)', 'tiny-bert-cls', TINY, [])).dispose();
  const tinyLora = await loraRow('LoRA r8 a32 q,v top layer + head', 'tiny-bert-cls', TINY, [
    'query',
    'value',
  ]);
  await tinyLora.dispose();
  await (await loraRow('head only (LoRA off)', 'bench-minilm-l6', BENCH, [])).dispose();
  const benchLora = await loraRow('LoRA r8 a32 q,v top layer + head', 'bench-minilm-l6', BENCH, [
    'query',
    'value',
  ]);

  console.log('\n| method | model | train time | dev F1 | dev AUROC | trainable share | notes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.method} | ${r.model} | ${r.trainS.toFixed(1)} s | ${fmt(r.f1)} | ${fmt(r.auroc)} | ${r.share} | ${r.note} |`,
    );
  }

  // Distillation: teacher = ensemble (LoRA bench model + heuristic + hashing probe); students learn its scores.
  const heuristic = new HeuristicDetector();
  await heuristic.fit?.(train);
  const hashProbe = new LinearProbeDetector({
    name: 'hash-probe',
    embedder: new HashingEmbedder({ dim: 1024 }),
  });
  await hashProbe.fit(train);
  const teacher = new Ensemble([benchLora, heuristic, hashProbe], { strategy: 'weighted-mean' });
  const unlabelled = train.map(({ label: _label, ...t }) => t);
  const students: [string, () => LoraClassifierDetector | LinearProbeDetector][] = [
    [
      'LoRA tiny-bert-cls (r8 a32 q,v)',
      () => new LoraClassifierDetector({ name: 'student-lora', model: TINY, maxLength: MAX_LEN }),
    ],
    [
      'probe on hashing-1024 features (no model)',
      () => new LinearProbeDetector({ name: 'student-hash', embedder: new HashingEmbedder({ dim: 1024 }) }),
    ],
    [
      'probe on tiny-bert embeddings',
      () =>
        new LinearProbeDetector({
          name: 'student-probe',
          embedder: new TransformersEmbedder({ model: TINY_ENC, maxLength: MAX_LEN }),
        }),
    ],
  ];
  const t = await evaluate(teacher, dev);
  console.log(
    '\n| detector | dev F1 | dev AUROC | ms / transcript (batched, dev) | speed-up | F1 vs teacher | distill time |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  console.log(
    `| teacher: ensemble (LoRA bench-minilm-l6 + heuristic + hashing probe) | ${fmt(t.f1)} | ${fmt(t.auroc)} | ${t.msPer.toFixed(2)} | 1.0x | 0 pp | |`,
  );
  for (const [label, make] of students) {
    const student = make();
    const t0 = performance.now();
    const res = await distill({ teacher, transcripts: unlabelled, student });
    const distillS = (performance.now() - t0) / 1000;
    const s = await evaluate(student, dev);
    const dF1 = s.f1 !== null && t.f1 !== null ? `${(100 * (s.f1 - t.f1)).toFixed(1)} pp` : 'n/a';
    console.log(
      `| student: ${label} | ${fmt(s.f1)} | ${fmt(s.auroc)} | ${s.msPer.toFixed(2)} | ${(t.msPer / s.msPer).toFixed(1)}x | ${dF1} | ${distillS.toFixed(1)} s (teacher ${(res.timing.teacherMs / 1000).toFixed(1)} s) |`,
    );
    await student.dispose();
  }
  await teacher.dispose();
} finally {
  await rm(work, { recursive: true, force: true });
}
