/**
 * The memory estimator (`estimateMemory`, used by `check-model --budget`) against measured RSS growth: for each
 * model, dtype and workload a fresh child process imports the runtime, notes its RSS, loads the model through
 * the SDK, runs one batch, and reports its peak RSS (`process.resourceUsage().maxRSS`). Target: the estimate
 * within ±25% of the measured growth. Each cell runs in several children (`BENCH_REPEATS`, 3 by default): loading
 * a model grows RSS by amounts that differ from one process to the next (tiny-bart-nli at 1 x 128: 13.7 or 20.2 MB,
 * a native step outside the V8 heap and glibc's arenas), so the table gives the median and the range, and the
 * worst ratio is taken over every child.
 *
 *   npx tsx bench/memory-estimate.ts
 *
 * needs: shared (bench-minilm-l6 and tiny-bart-nli; the q8/q4 variants are made in a temp folder first).
 */
import { execFileSync, fork } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
const MODELS = {
  'bench-minilm-l6': { dir: join(shared, 'fixtures/bench/bench-minilm-l6'), task: 'feature-extraction' },
  'tiny-bart-nli': { dir: join(shared, 'fixtures/hf-tiny/tiny-bart-nli'), task: 'sequence-classification' },
} as const;
type ModelName = keyof typeof MODELS;
const DTYPES = ['fp32', 'q8', 'q4'] as const;
/** The two workloads of the target, and one between them that the calibration never saw. */
const WORKLOADS = [
  { batch: 1, seq: 128 },
  { batch: 8, seq: 512 },
  { batch: 4, seq: 256 },
] as const;

interface Measurement {
  base: number;
  afterLoad: number;
  peak: number;
}

if (process.argv[2] === '--child') {
  const [dir, task, dtype, batch, seq] = process.argv.slice(3) as [string, string, string, string, string];
  const { acquireModel, loadTransformers } = await import('../src/runtime/load-model.js');
  const T = await loadTransformers();
  global.gc?.();
  const base = process.memoryUsage().rss;
  const h = await acquireModel(task as 'feature-extraction', {
    model: dir,
    defaultModel: dir,
    dtype: dtype as 'fp32',
  });
  global.gc?.();
  const afterLoad = process.memoryUsage().rss;
  const B = Number(batch);
  const S = Number(seq);
  const ids = new BigInt64Array(B * S);
  const vocab = Number((h.config as { vocab_size?: number }).vocab_size ?? 1000);
  const eos = (h.config as { eos_token_id?: number }).eos_token_id;
  for (let i = 0; i < ids.length; i++) ids[i] = BigInt(5 + ((i * 7919) % (vocab - 5)));
  // Sequence classifiers such as BART read the hidden state at the end-of-sequence token.
  if (typeof eos === 'number') for (let r = 0; r < B; r++) ids[r * S + S - 1] = BigInt(eos);
  const names = (h.model as unknown as { sessions: Record<string, { inputNames: string[] }> }).sessions;
  const inputs = Object.values(names)[0]?.inputNames ?? ['input_ids', 'attention_mask'];
  const feeds: Record<string, unknown> = {};
  for (const name of inputs) {
    const data =
      name === 'attention_mask'
        ? new BigInt64Array(B * S).fill(1n)
        : name === 'input_ids'
          ? ids
          : new BigInt64Array(B * S);
    feeds[name] = new T.Tensor('int64', data, [B, S]);
  }
  await (h.model as unknown as (f: Record<string, unknown>) => Promise<unknown>)(feeds);
  const peak = process.resourceUsage().maxRSS * 1024;
  process.send?.({ base, afterLoad, peak } satisfies Measurement);
  await h.release();
  process.exit(0);
}

function measure(dir: string, task: string, dtype: string, batch: number, seq: number): Promise<Measurement> {
  return new Promise((done, fail) => {
    const child = fork(
      fileURLToPath(import.meta.url),
      ['--child', dir, task, dtype, String(batch), String(seq)],
      {
        execArgv: ['--import', 'tsx', '--expose-gc'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      },
    );
    let err = '';
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.on('message', (m) => done(m as Measurement));
    child.on('exit', (code) => {
      if (code !== 0) fail(new Error(`child failed (${code}): ${err.slice(-500)}`));
    });
  });
}

if (!existsSync(shared)) {
  console.log('skipped: ../shared not found (this bench needs the bench encoder and tiny-bart-nli)');
  process.exit(0);
}

/** A copy of each model with its q8 and q4 variants made by botlens quantize (the fixtures lack some). */
function prepare(): Record<ModelName, string> {
  const work = mkdtempSync(join(tmpdir(), 'botlens-mem-'));
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const out = {} as Record<ModelName, string>;
  for (const [name, m] of Object.entries(MODELS) as [ModelName, (typeof MODELS)[ModelName]][]) {
    const dst = join(work, name);
    cpSync(m.dir, dst, { recursive: true });
    for (const f of readdirSync(join(dst, 'onnx'))) if (f !== 'model.onnx') rmSync(join(dst, 'onnx', f));
    for (const bits of ['8', '4']) {
      execFileSync('npx', ['tsx', join(here, '../src/cli/main.ts'), 'quantize', dst, '--bits', bits], {
        stdio: 'ignore',
      });
    }
    out[name] = dst;
  }
  return out;
}

const { estimateMemory, modelDimensionsFromConfig } = await import('../src/sizing/memory-estimate.js');
const dirs = prepare();
/** Children per cell. */
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3) || 3);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
console.log(
  `| model | dtype | batch x seq | weight files | measured RSS growth: median (range) of ${REPEATS} children | estimate before | before / measured: median (range) | estimate now | now / measured: median (range) |`,
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const ratios: number[] = [];
for (const name of Object.keys(MODELS) as ModelName[]) {
  const dir = dirs[name];
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const dims = modelDimensionsFromConfig(config);
  const fp32Bytes = statSync(join(dir, 'onnx/model.onnx')).size;
  for (const dtype of DTYPES) {
    const file = { fp32: 'model.onnx', q8: 'model_quantized.onnx', q4: 'model_q4.onnx' }[dtype];
    const fileBytes = statSync(join(dir, 'onnx', file)).size;
    for (const w of WORKLOADS) {
      const grown: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        const m = await measure(dir, MODELS[name].task, dtype, w.batch, w.seq);
        grown.push(m.peak - m.base);
      }
      const workload = {
        parameters: fp32Bytes / 4,
        dtype,
        weightFileBytes: fileBytes,
        ...(dims && { dims }),
        batchSize: w.batch,
        sequenceLength: w.seq,
      };
      const est = estimateMemory(workload);
      // The defaults before the calibration: 20% overhead, no runtime base, 2 attention-score copies.
      const before = estimateMemory({
        ...workload,
        overheadFraction: 0.2,
        runtimeBytes: 0,
        attentionCopies: 2,
      });
      for (const g of grown) ratios.push(est.total / g);
      const mid = median(grown);
      const range = (total: number) =>
        `${(total / mid).toFixed(2)} (${(total / Math.max(...grown)).toFixed(2)}-${(total / Math.min(...grown)).toFixed(2)})`;
      console.log(
        `| ${name} | ${dtype} | ${w.batch} x ${w.seq} | ${mb(fileBytes)} | ${mb(mid)} (${mb(Math.min(...grown))}-${mb(Math.max(...grown))}) | ${mb(before.total)} | ${range(before.total)} | ${mb(est.total)} | ${range(est.total)} |`,
      );
    }
  }
}
const worst = ratios.reduce((a, r) => (Math.abs(Math.log(r)) > Math.abs(Math.log(a)) ? r : a), 1);
console.log(`\nworst estimate/measured ratio over every child: ${worst.toFixed(2)} (target 0.75 to 1.25)`);
