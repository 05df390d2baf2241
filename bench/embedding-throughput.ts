/**
 * Sentence-embedding throughput on the MiniLM-L6-sized bench encoder (../shared/fixtures/bench/bench-minilm-l6,
 * random weights, fp32): TransformersEmbedder (length-sorted batches) beside transformers.js
 * `pipeline('feature-extraction')` called once per text, and the pipeline given the whole list at once, all on
 * the same ~25-token texts in one run, after a warm-up.
 *
 * Three interleaved rounds (so a busy machine slows every path alike); medians are compared, in texts per
 * wall-clock second and in texts per CPU-second of this process (steadier when other work shares the cores).
 * TransformersEmbedder runs at several batch sizes. For scale, the bare ONNX Runtime session is timed on fixed
 * 28-token inputs at batch 1 and batch 32: no tokenizer and no pooling, so its batch/single ratio bounds what
 * batching alone can gain over an overhead-free one-at-a-time loop on this CPU.
 *
 *   npx tsx bench/embedding-throughput.ts [texts=256] [batchSizes=16,32,64] [threads]
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
const BATCHES = (process.argv[3] ?? '16,32,64').split(',').map(Number);
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
const embedders = BATCHES.map(
  (batchSize) =>
    new TransformersEmbedder({ model: MODEL, batchSize, ...(THREADS ? { threads: THREADS } : {}) }),
);
const embedder = embedders[0]!;

// warm-up: every path, a few calls each
for (const [i, e] of embedders.entries()) await e.embed(input.slice(0, BATCHES[i]!));
for (const t of input.slice(0, 16)) await extractor(t, { pooling: 'mean', normalize: true });

console.log(
  `threads: ${THREADS ?? 'ONNX Runtime default'}; batch sizes ${BATCHES.join(', ')}; ${ROUNDS} interleaved rounds`,
);
const runs = {
  perText: [] as Rate[],
  whole: [] as Rate[],
  ours: BATCHES.map(() => [] as Rate[]),
};
for (let r = 0; r < ROUNDS; r++) {
  runs.perText.push(
    await rate(async () => {
      for (const t of input) await extractor(t, { pooling: 'mean', normalize: true });
    }, input.length),
  );
  runs.whole.push(await rate(() => extractor(input, { pooling: 'mean', normalize: true }), input.length));
  for (const [i, e] of embedders.entries())
    runs.ours[i]!.push(await rate(() => e.embed(input), input.length));
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
for (const [i, b] of BATCHES.entries())
  show(`TransformersEmbedder, batches of ${b} by length`, runs.ours[i]!);
const one = median(runs.perText.map((x) => x.wall));
const whole = median(runs.whole.map((x) => x.wall));
const oneCpu = median(runs.perText.map((x) => x.cpu));
const best = BATCHES.map((b, i) => ({
  b,
  wall: median(runs.ours[i]!.map((x) => x.wall)),
  cpu: median(runs.ours[i]!.map((x) => x.cpu)),
})).sort((x, y) => y.wall - x.wall)[0]!;
const ours = best.wall;
const oursCpu = best.cpu;

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
  `speed-up of TransformersEmbedder (best: batch ${best.b}) over one pipeline call per text: ${(ours / one).toFixed(2)}x wall, ${(oursCpu / oneCpu).toFixed(2)}x per CPU-second`,
);
console.log(
  `speed-up over the pipeline given the whole list:                ${(ours / whole).toFixed(2)}x wall`,
);
const ceiling = await bareSession();
console.log(
  `bare ONNX Runtime session, 28-token inputs: batch 1 ${ceiling.single.toFixed(1)} texts/s, batch 32 ${ceiling.batched.toFixed(1)} texts/s (${(ceiling.batched / ceiling.single).toFixed(2)}x)`,
);
console.log(
  `load average while measuring: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
for (const e of embedders) await e.dispose();
await extractor.dispose();

/** The model alone: ONNX Runtime on fixed 28-token inputs, batch 1 against batch 32 (median of 3 runs each). */
async function bareSession(): Promise<{ single: number; batched: number }> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(join(MODEL, 'onnx/model.onnx'), {
    ...(THREADS ? { intraOpNumThreads: THREADS } : {}),
  });
  const L = 28;
  const feedsFor = (n: number) => {
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n * L }, (_, i) => BigInt(1000 + (i % 500))),
        [n, L],
      ),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(n * L).fill(1n), [n, L]),
    };
    if (session.inputNames.includes('token_type_ids')) {
      feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(n * L), [n, L]);
    }
    return feeds;
  };
  const textsPerSecond = async (n: number) => {
    const feeds = feedsFor(n);
    await session.run(feeds);
    const reps = Math.ceil(256 / n);
    const rates: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) await session.run(feeds);
      rates.push((reps * n) / ((performance.now() - t0) / 1000));
    }
    return median(rates);
  };
  const single = await textsPerSecond(1);
  const batched = await textsPerSecond(32);
  await session.release();
  return { single, batched };
}
