/**
 * Quantization on the MiniLM-L6-sized bench encoder (../shared/fixtures/bench/bench-minilm-l6, random weights):
 * fp32 beside botlens q8 (int8 weights per channel, dynamic int8 activations) and q4 (MatMulNBits, block 32),
 * plus an ONNX Runtime `quantize_dynamic`-style q8 with unsigned int8 weights per tensor (`dtype: 'uint8'`),
 * all in one run:
 *
 * - file size, and bytes of the quantized layers' weights before/after;
 * - cosine of the mean-pooled sentence embeddings (and of the token states) to fp32 on the same texts;
 * - resident memory after load (each variant in its own child process: RSS before and after loading);
 * - texts/s through transformers.js `pipeline('feature-extraction')`, one batch of 64 and one text at a time
 *   (best of 4 repetitions inside each child: other work on a shared machine only ever slows a run down).
 *
 * Speed and memory rounds are interleaved (fp32, q8, q4, uint8, fp32, ...) so a busy machine slows every
 * variant alike; medians over rounds are reported.
 *
 *   npx tsx bench/quantize.ts [--texts 128] [--rounds 3] [--threads N]
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeOnnxModel, loadOnnxModel } from '../src/onnx/onnx-model.js';
import { rawTensor } from '../src/onnx/onnx-tensor.js';
import { TensorDataType } from '../src/onnx/onnx-types.js';
import { quantize } from '../src/quant/quantize.js';
import { quantizeOnnxModel } from '../src/quant/quantize-model.js';
import { cosineSimilarity } from '../src/quant/verify.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
const MODEL = join(shared, 'fixtures/bench/bench-minilm-l6');
const VARIANTS = ['fp32', 'q8', 'q4', 'uint8'] as const;
type Variant = (typeof VARIANTS)[number];
const LABEL: Record<Variant, string> = {
  fp32: 'fp32',
  q8: 'q8 (botlens: s8 per-channel)',
  q4: 'q4 (botlens: MatMulNBits b32)',
  uint8: 'q8 ORT-style (u8 per-tensor)',
};
const FILE: Record<Variant, string> = {
  fp32: 'model.onnx',
  q8: 'model_quantized.onnx',
  q4: 'model_q4.onnx',
  uint8: 'model_uint8.onnx',
};

/** Timed repetitions per child process; the best is kept. */
const REPEATS = 4;

const { values: args } = parseArgs({
  options: {
    texts: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string' },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});

type Tjs = typeof import('@huggingface/transformers');

async function transformers(root: string): Promise<Tjs> {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = root;
  return tjs;
}

function sessionOptions(): Record<string, unknown> {
  return args.threads ? { session_options: { intraOpNumThreads: Number(args.threads) } } : {};
}

/** Child process: load one variant, report RSS before/after load and texts/s. */
async function child(variant: Variant, root: string): Promise<void> {
  const texts = JSON.parse(readFileSync(join(root, 'texts.json'), 'utf8')) as string[];
  const tjs = await transformers(root);
  global.gc?.();
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const ex = await tjs.pipeline('feature-extraction', 'model', { dtype: variant, ...sessionOptions() });
  const loadMs = performance.now() - t0;
  await ex(texts.slice(0, 8), { pooling: 'mean', normalize: true }); // warm-up
  global.gc?.();
  const after = process.memoryUsage().rss;
  // Best of several repetitions: other work on a shared machine only ever slows a run down.
  const batch = texts.slice(0, 64);
  let batchTps = 0;
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    await ex(batch, { pooling: 'mean', normalize: true });
    batchTps = Math.max(batchTps, batch.length / ((performance.now() - t) / 1000));
  }
  const singles = texts.slice(0, 16);
  let singleTps = 0;
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    for (const s of singles) await ex(s, { pooling: 'mean', normalize: true });
    singleTps = Math.max(singleTps, singles.length / ((performance.now() - t) / 1000));
  }
  await ex.dispose();
  process.stdout.write(`${JSON.stringify({ before, after, loadMs, batchTps, singleTps })}\n`);
}

/** ~25-token texts from the ConvAI messages (consecutive messages joined), else generated chat sentences. */
async function pickTexts(root: string, n: number): Promise<string[]> {
  const tjs = await transformers(root);
  const tok = await tjs.AutoTokenizer.from_pretrained('model');
  const pool: string[] = [];
  const data = join(shared, 'data/convai-bots/train.jsonl');
  if (existsSync(data)) {
    for (const line of readFileSync(data, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const msgs = (JSON.parse(line) as { messages: { text: string }[] }).messages.map((m) => m.text);
      for (let i = 0; i + 1 < msgs.length; i += 2) pool.push(`${msgs[i]} ${msgs[i + 1]}`);
      if (pool.length > 20 * n) break;
    }
  }
  const words = 'i love to go hiking with my dogs what do you do for fun hello how are you today'.split(' ');
  for (let i = 0; pool.length < 4 * n; i++) {
    pool.push(
      Array.from({ length: 20 + (i % 8) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' '),
    );
  }
  return pool
    .filter((t) => {
      const len = (tok(t).input_ids.dims as number[])[1]!;
      return len >= 22 && len <= 32;
    })
    .slice(0, n);
}

/** An ONNX Runtime quantize_dynamic-style variant: unsigned int8 weights, one scale and zero point per matrix. */
async function writeUint8Variant(root: string): Promise<void> {
  const model = await loadOnnxModel(join(root, 'model', 'onnx', 'model.onnx'));
  quantizeOnnxModel(model, { bits: 8, perChannel: false, symmetric: false });
  const g = model.graph!;
  for (const n of g.node) {
    if (n.op_type !== 'MatMulInteger') continue;
    const w = g.initializer.find((t) => t.name === n.input[1])!;
    const zpName = n.input[3];
    const zp = zpName
      ? new Int8Array(g.initializer.find((t) => t.name === zpName)!.raw_data!.slice().buffer)[0]!
      : 0;
    const s8 = new Int8Array(w.raw_data!.buffer, w.raw_data!.byteOffset, w.raw_data!.byteLength);
    const u8 = Uint8Array.from(s8, (v) => v + 128);
    const i = g.initializer.indexOf(w);
    g.initializer[i] = rawTensor(w.name!, w.dims, TensorDataType.UINT8, u8);
    const zName = `${w.name}_u8_zero_point`;
    g.initializer.push(rawTensor(zName, [], TensorDataType.UINT8, new Uint8Array([zp + 128])));
    n.input[3] = zName;
  }
  g.initializer = g.initializer.filter((t) => g.node.some((n) => n.input.includes(t.name ?? '')));
  writeFileSync(join(root, 'model', 'onnx', FILE.uint8), await encodeOnnxModel(model));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  if (args.child) return child(args.child as Variant, args.dir!);
  if (!existsSync(MODEL)) {
    console.error(`The bench model is not at ${MODEL} (it comes with ../shared).`);
    process.exit(1);
  }
  const root = mkdtempSync(join(tmpdir(), 'botlens-bench-quant-'));
  try {
    const dir = join(root, 'model');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'])
      cpSync(join(MODEL, f), join(dir, f));

    const t8 = performance.now();
    const r8 = await quantize(dir, { bits: 8 });
    const q8Ms = performance.now() - t8;
    const t4 = performance.now();
    const r4 = await quantize(dir, { bits: 4 });
    const q4Ms = performance.now() - t4;
    await writeUint8Variant(root);
    console.log(
      `quantize(): q8 ${(q8Ms / 1000).toFixed(1)} s, q4 ${(q4Ms / 1000).toFixed(1)} s (including the ONNX Runtime check)`,
    );
    const weights: Record<string, string> = {
      q8: `${(r8.files[0]!.report.bytesBefore / 1e6).toFixed(1)} -> ${(r8.files[0]!.report.bytesAfter / 1e6).toFixed(1)} MB (${(r8.files[0]!.report.bytesBefore / r8.files[0]!.report.bytesAfter).toFixed(2)}x)`,
      q4: `${(r4.files[0]!.report.bytesBefore / 1e6).toFixed(1)} -> ${(r4.files[0]!.report.bytesAfter / 1e6).toFixed(1)} MB (${(r4.files[0]!.report.bytesBefore / r4.files[0]!.report.bytesAfter).toFixed(2)}x)`,
    };

    const texts = await pickTexts(root, Number(args.texts));
    writeFileSync(join(root, 'texts.json'), JSON.stringify(texts));
    console.log(`${texts.length} texts of 22-32 tokens (with [CLS]/[SEP])`);

    // Accuracy: the same texts through every variant, in this process.
    const tjs = await transformers(root);
    const pooled: Record<string, Float32Array> = {};
    const tokens: Record<string, Float32Array> = {};
    for (const v of VARIANTS) {
      const ex = await tjs.pipeline('feature-extraction', 'model', { dtype: v, ...sessionOptions() });
      pooled[v] = (await ex(texts, { pooling: 'mean', normalize: true })).data as Float32Array;
      tokens[v] = (await ex(texts.slice(0, 16))).data as Float32Array;
      await ex.dispose();
    }
    const H = 384;
    const cos: Record<string, { mean: number; min: number; tok: number }> = {};
    for (const v of VARIANTS) {
      const per = texts.map((_, i) =>
        cosineSimilarity(pooled.fp32!.subarray(i * H, (i + 1) * H), pooled[v]!.subarray(i * H, (i + 1) * H)),
      );
      cos[v] = {
        mean: per.reduce((a, b) => a + b, 0) / per.length,
        min: Math.min(...per),
        tok: cosineSimilarity(tokens.fp32!, tokens[v]!),
      };
    }

    // Memory and speed: one child process per variant and round, interleaved.
    const runs: Record<
      string,
      { before: number; after: number; loadMs: number; batchTps: number; singleTps: number }[]
    > = {};
    const rounds = Number(args.rounds);
    for (let r = 0; r < rounds; r++) {
      for (const v of VARIANTS) {
        const extra = args.threads ? ['--threads', args.threads] : [];
        const res = spawnSync(
          process.execPath,
          [
            '--expose-gc',
            '--import',
            'tsx',
            fileURLToPath(import.meta.url),
            '--child',
            v,
            '--dir',
            root,
            ...extra,
          ],
          { encoding: 'utf8', cwd: resolve(here, '..') },
        );
        if (res.status !== 0) throw new Error(`child ${v} failed: ${res.stderr}`);
        const line = res.stdout.trim().split('\n').pop()!;
        const list = runs[v] ?? [];
        list.push(JSON.parse(line));
        runs[v] = list;
      }
    }

    const fp32Batch = median(runs.fp32!.map((x) => x.batchTps));
    const fp32Single = median(runs.fp32!.map((x) => x.singleTps));
    const fileMb = (v: Variant) => statSync(join(root, 'model', 'onnx', FILE[v])).size / 1e6;
    console.log(
      `\n${['variant', 'file MB', 'RSS after load MB (+load)', 'texts/s batch 64', 'texts/s one by one', 'cosine to fp32 (mean / min / tokens)'].join(' | ')}`,
    );
    for (const v of VARIANTS) {
      const rs = runs[v]!;
      const after = median(rs.map((x) => x.after)) / 1e6;
      const delta = median(rs.map((x) => x.after - x.before)) / 1e6;
      const b = median(rs.map((x) => x.batchTps));
      const s = median(rs.map((x) => x.singleTps));
      console.log(
        [
          LABEL[v],
          `${fileMb(v).toFixed(1)} (${(fileMb('fp32') / fileMb(v)).toFixed(2)}x smaller)`,
          `${after.toFixed(0)} (+${delta.toFixed(0)})`,
          `${b.toFixed(0)} (${(b / fp32Batch).toFixed(2)}x)`,
          `${s.toFixed(0)} (${(s / fp32Single).toFixed(2)}x)`,
          `${cos[v]!.mean.toFixed(5)} / ${cos[v]!.min.toFixed(5)} / ${cos[v]!.tok.toFixed(5)}`,
        ].join(' | '),
      );
    }
    console.log(`\nquantized layers' weights: q8 ${weights.q8}; q4 ${weights.q4}`);
    console.log(
      `rounds: ${rounds}, threads: ${args.threads ?? 'ONNX Runtime default'}; best batch texts/s per round:`,
    );
    for (const v of VARIANTS) console.log(`  ${v}: ${runs[v]!.map((x) => x.batchTps.toFixed(0)).join(', ')}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
