/**
 * `botlens optimize` on bench-minilm-l6: texts/s of TransformersEmbedder at batch 64 for the original fp32
 * graph (today's figure), the original quantized to q8, the optimized (fused) fp32 graph, and the optimized graph
 * quantized to q8 (fused attention becomes QAttention), measured side by side in interleaved rounds, with the
 * ratio to today's fp32 and the embeddings' cosine to fp32. Then ONNX Runtime's per-operator profile of the
 * optimized fp32 graph, which shows the ceiling: the time in matrix products that no fusion removes.
 *
 *   npx tsx bench/optimize.ts [texts=256] [rounds=5]
 *
 * needs: shared (the bench encoder; random weights: the cosine checks numerics, not accuracy).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
const MODEL = join(shared, 'fixtures/bench/bench-minilm-l6');
const N = Number(process.argv[2] ?? 256);
const ROUNDS = Number(process.argv[3] ?? 5);
const BATCH = 64;

if (!existsSync(MODEL)) {
  console.log('skipped: ../shared not found (this bench needs fixtures/bench/bench-minilm-l6)');
  process.exit(0);
}

const { optimizeModelFolder } = await import('../src/quant/optimize/optimize-folder.js');
const { quantize } = await import('../src/quant/quantize.js');
const { TransformersEmbedder } = await import('../src/runtime/transformers-embedder.js');

const work = mkdtempSync(join(tmpdir(), 'botlens-optimize-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const original = join(work, 'original');
cpSync(MODEL, original, { recursive: true });
const optimized = join(work, 'optimized');
const t0 = performance.now();
const res = await optimizeModelFolder(original, { out: optimized });
const optimizeSeconds = (performance.now() - t0) / 1000;
await quantize(original, { bits: 8 });
await quantize(optimized, { bits: 8 });
const f = res.files[0];
console.log(
  `optimize: ${f?.report?.attention} attention, ${f?.report?.skipLayerNorm} SkipLayerNorm, ${f?.report?.biasGelu} BiasGelu fused; nodes ${f?.report?.nodesBefore} -> ${f?.report?.nodesAfter}; max output difference ${f?.maxAbsDiff?.toExponential(2)}; ${optimizeSeconds.toFixed(1)} s`,
);

/** ConvAI messages of 20-30 words when ../shared has them, else generated chat-like sentences. */
function texts(): string[] {
  const pool: string[] = [];
  const data = join(shared, 'data/convai-bots/train.jsonl');
  if (existsSync(data)) {
    for (const line of readFileSync(data, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      for (const m of (JSON.parse(line) as { messages: { text: string }[] }).messages) {
        const words = m.text.split(/\s+/).length;
        if (words >= 15 && words <= 25) pool.push(m.text);
      }
    }
  }
  const words = 'i love to go hiking with my dogs what do you do for fun hello how are you today'.split(' ');
  for (let i = 0; pool.length < N; i++) {
    pool.push(
      Array.from({ length: 18 + (i % 8) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' '),
    );
  }
  return pool.slice(0, N);
}

const input = texts();
const variants = [
  { label: 'original fp32 (today)', model: original, dtype: 'fp32' },
  { label: 'original q8', model: original, dtype: 'q8' },
  { label: 'optimized fp32', model: optimized, dtype: 'fp32' },
  { label: 'optimized q8 (QAttention)', model: optimized, dtype: 'q8' },
] as const;
const embedders = variants.map(
  (v) => new TransformersEmbedder({ model: v.model, dtype: v.dtype, batchSize: BATCH }),
);
const reference = await embedders[0]!.embed(input);
const cosines: number[] = [];
for (const e of embedders) {
  const got = await e.embed(input);
  let worst = 1;
  got.forEach((row, i) => {
    const ref = reference[i]!;
    let dot = 0;
    for (let j = 0; j < row.length; j++) dot += (row[j] as number) * (ref[j] as number);
    worst = Math.min(worst, dot); // both are L2-normalized
  });
  cosines.push(worst);
}
const rates = variants.map(() => [] as number[]);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, e] of embedders.entries()) {
    const s = performance.now();
    await e.embed(input);
    rates[i]!.push(input.length / ((performance.now() - s) / 1000));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(rates[0]!);
console.log(`\n${input.length} texts, batch ${BATCH}, ${ROUNDS} interleaved rounds (median texts/s)`);
console.log('| graph | texts/s | vs today fp32 | min cosine to fp32 |');
console.log('| --- | --- | --- | --- |');
variants.forEach((v, i) => {
  const m = median(rates[i]!);
  console.log(`| ${v.label} | ${m.toFixed(1)} | ${(m / base).toFixed(2)}x | ${cosines[i]!.toFixed(5)} |`);
});
for (const e of embedders) await e.dispose();

// The ceiling: where the optimized fp32 graph spends its time, by operator (ONNX Runtime's own profiler).
const ort = await import('onnxruntime-node');
const prefix = join(work, 'profile');
const session = await ort.InferenceSession.create(join(optimized, 'onnx/model.onnx'), {
  enableProfiling: true,
  profileFilePrefix: prefix,
  logSeverityLevel: 3,
});
const S = 28;
const ids = new BigInt64Array(BATCH * S).map((_, i) => BigInt(5 + ((i * 7919) % 1400)));
const feeds = {
  input_ids: new ort.Tensor('int64', ids, [BATCH, S]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(BATCH * S).fill(1n), [BATCH, S]),
  token_type_ids: new ort.Tensor('int64', new BigInt64Array(BATCH * S), [BATCH, S]),
};
for (let i = 0; i < 5; i++) await session.run(feeds);
session.endProfiling();
await session.release();
const file = readdirSync(work).find((x) => x.startsWith('profile'));
if (file) {
  const events = JSON.parse(readFileSync(join(work, file), 'utf8')) as {
    cat?: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  }
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  console.log(`\nONNX Runtime profile of the optimized fp32 graph (batch ${BATCH} x ${S} tokens, 5 runs):`);
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    console.log(`  ${op.padEnd(24)} ${((100 * us) / total).toFixed(1).padStart(5)}%`);
  }
}
