/**
 * Sentence-embedding throughput on the MiniLM-L6-sized bench encoder (../shared/fixtures/bench/bench-minilm-l6,
 * random weights, fp32): TransformersEmbedder (length-sorted batches) beside transformers.js
 * `pipeline('feature-extraction')` called once per text, and the pipeline given the whole list at once, all on
 * the same ~25-token texts in one run, after a warm-up.
 *
 * Three interleaved rounds (so a busy machine slows every path alike); medians are compared, in texts per
 * wall-clock second and in texts per CPU-second of this process (steadier when other work shares the cores).
 *
 *   npx tsx bench/embedding-throughput.ts [texts=256] [batchSize=64] [threads]
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countTokens } from '../src/runtime/encode-texts.js';
import { acquireModel, loadTransformers } from '../src/runtime/load-model.js';
import { TransformersEmbedder } from '../src/runtime/transformers-embedder.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
const MODEL = join(shared, 'fixtures/bench/bench-minilm-l6');
const N = Number(process.argv[2] ?? 256);
const BATCH = Number(process.argv[3] ?? 64);
const THREADS = process.argv[4] ? Number(process.argv[4]) : undefined;
const ROUNDS = 3;

if (!existsSync(MODEL)) {
  console.error(`The bench model is not at ${MODEL} (it comes with ../shared).`);
  process.exit(1);
}

/** ~25-token texts: ConvAI messages when available, else sentences built from common chat words. */
async function texts(): Promise<string[]> {
  const h = await acquireModel('feature-extraction', { model: MODEL, defaultModel: MODEL });
  try {
    const pool: string[] = [];
    const data = join(shared, 'data/convai-bots/train.jsonl');
    if (existsSync(data)) {
      for (const line of readFileSync(data, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        for (const m of (JSON.parse(line) as { messages: { text: string }[] }).messages) pool.push(m.text);
      }
    }
    const words = 'i love to go hiking with my dogs what do you do for fun hello how are you today'.split(
      ' ',
    );
    for (let i = 0; pool.length < 4 * N; i++) {
      pool.push(
        Array.from({ length: 18 + (i % 8) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' '),
      );
    }
    const counts = countTokens(h.tokenizer, pool);
    const picked = pool.filter((_, i) => counts[i]! >= 20 && counts[i]! <= 30).slice(0, N);
    const mean = picked.reduce((s, t) => s + countTokens(h.tokenizer, [t])[0]!, 0) / picked.length;
    console.log(`${picked.length} texts, ${mean.toFixed(1)} tokens on average (without [CLS]/[SEP])`);
    return picked;
  } finally {
    await h.release();
  }
}

interface Rate {
  /** texts per wall-clock second */
  wall: number;
  /** texts per CPU second of this process (user + system, all threads): robust on a busy machine */
  cpu: number;
}

async function rate(run: () => Promise<unknown>, n: number): Promise<Rate> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall: n / wall, cpu: n / ((c.user + c.system) / 1e6) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const input = await texts();
const T = await loadTransformers();
const extractor = await T.pipeline('feature-extraction', MODEL, {
  local_files_only: true,
  dtype: 'fp32',
  ...(THREADS ? { session_options: { intraOpNumThreads: THREADS } } : {}),
});
const embedder = new TransformersEmbedder({
  model: MODEL,
  batchSize: BATCH,
  ...(THREADS ? { threads: THREADS } : {}),
});

// warm-up: both paths, a few calls each
await embedder.embed(input.slice(0, BATCH));
for (const t of input.slice(0, 16)) await extractor(t, { pooling: 'mean', normalize: true });

console.log(
  `threads: ${THREADS ?? 'ONNX Runtime default'}; batch size ${BATCH}; ${ROUNDS} interleaved rounds`,
);
const runs = {
  perText: [] as Rate[],
  whole: [] as Rate[],
  ours: [] as Rate[],
};
for (let r = 0; r < ROUNDS; r++) {
  runs.perText.push(
    await rate(async () => {
      for (const t of input) await extractor(t, { pooling: 'mean', normalize: true });
    }, input.length),
  );
  runs.whole.push(await rate(() => extractor(input, { pooling: 'mean', normalize: true }), input.length));
  runs.ours.push(await rate(() => embedder.embed(input), input.length));
}
const show = (label: string, xs: Rate[]) =>
  console.log(
    `${label.padEnd(52)} ${median(xs.map((x) => x.wall))
      .toFixed(1)
      .padStart(7)} texts/s wall ${median(xs.map((x) => x.cpu))
      .toFixed(1)
      .padStart(7)} texts/CPU-s  (wall by round: ${xs.map((x) => x.wall.toFixed(1)).join(', ')})`,
  );
console.log('medians over the rounds:');
show("pipeline('feature-extraction'), one call per text", runs.perText);
show("pipeline('feature-extraction'), whole list, one call", runs.whole);
show(`TransformersEmbedder, batches of ${BATCH} by length`, runs.ours);
const one = median(runs.perText.map((x) => x.wall));
const whole = median(runs.whole.map((x) => x.wall));
const ours = median(runs.ours.map((x) => x.wall));
const oneCpu = median(runs.perText.map((x) => x.cpu));
const oursCpu = median(runs.ours.map((x) => x.cpu));

// same numbers? (mean pooling + normalization both ways)
const a = await embedder.embed(input.slice(0, 8));
const b = (await extractor(input.slice(0, 8), { pooling: 'mean', normalize: true })).tolist() as number[][];
let diff = 0;
a.forEach((row, i) => {
  row.forEach((x, j) => {
    diff = Math.max(diff, Math.abs(x - b[i]![j]!));
  });
});
console.log(`\nmax |difference| between the two embeddings: ${diff.toExponential(2)}`);
console.log(
  `speed-up of TransformersEmbedder over one pipeline call per text: ${(ours / one).toFixed(2)}x wall, ${(oursCpu / oneCpu).toFixed(2)}x per CPU-second`,
);
console.log(
  `speed-up over the pipeline given the whole list:                ${(ours / whole).toFixed(2)}x wall`,
);
console.log(
  `load average while measuring: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
await embedder.dispose();
await extractor.dispose();
