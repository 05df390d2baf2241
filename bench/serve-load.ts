/**
 * Load test of the HTTP service on loopback: the service runs in this process (createServer from
 * botlens/server, 127.0.0.1, a free port, default limits), and autocannon runs in a child process so the load
 * generator does not share the server's event loop. Each scenario POSTs examples/transcript.json to
 * /v1/detect over 10 connections for 10 seconds, after a short warm-up.
 *
 * - heuristic: the default service, an ensemble of the heuristic detector alone (no model);
 * - heuristic + embedding: adds the embedding-centroid detector on the MiniLM-L6-sized bench encoder
 *   (../shared/fixtures/bench/bench-minilm-l6, random weights, fp32, CPU), fitted on 200 ConvAI train
 *   transcripts. Its scores mean nothing; only the serving cost is measured. Skipped without ../shared.
 *
 *   npx tsx bench/serve-load.ts [--duration 10] [--connections 10] [--rounds 3]
 *
 * Both sides run built code: this checkout's dist/ (built first with tsup when older than src/, as the package
 * ships; tsx would compile src/ with a function-naming helper call per closure, which costs on a per-request
 * path) and, with a built earlier checkout present (BOTLENS_BENCH_BASELINE, else ../base2 or ../base), that
 * checkout's dist/, each with its own service and detectors. Then the heuristic scenario runs the old service and
 * this one alternately, `--rounds` times each, and prints the ratio of their median requests/s and of the
 * server's median CPU time per request (this process's CPU time, which is the server's: the load runs in a child
 * process). Before the load, both services answer the same set of requests (this example, with and without a
 * timeline, a batch, ConvAI dev transcripts when ../shared is there, and bad requests), and their answers are
 * compared byte for byte, with each `elapsedMs` value masked.
 */
// needs: none (the model-backed scenario is skipped without ../shared)
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Detector } from '../src/core/detector.js';
import { ensureBuilt } from '../test/helpers/built-package.js';
import { type AnswerRequest, compareAnswers } from './lib/compare-answers.js';
import { parseLoadArgs } from './lib/load-args.js';
import { printMarkdownTable } from './lib/markdown-table.js';

const args = parseLoadArgs('serve-load.ts', 'skip-models', {
  connections: { default: 10, max: 10_000 },
  duration: { default: 10, max: 60 },
  rounds: { default: 3, max: 10 },
});

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
const BENCH_MODEL = join(shared, 'fixtures/bench/bench-minilm-l6');
const TRAIN = join(shared, 'data/convai-bots/train.jsonl');
const DEV = join(shared, 'data/convai-bots/dev.jsonl');
const BODY_FILE = resolve(here, '../examples/transcript.json');
const AUTOCANNON = join(
  dirname(createRequire(import.meta.url).resolve('autocannon/package.json')),
  'autocannon.js',
);

/** The fields of autocannon's `--json` result used here (latencies in ms). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface Outcome {
  scenario: string;
  result?: AutocannonResult;
  /** CPU time of this process (the server; the load runs in a child) per answered request, in µs. */
  cpuUsPerRequest?: number;
  note?: string;
}

function autocannon(url: string): Promise<AutocannonResult> {
  const argv = [
    AUTOCANNON,
    ...['-c', String(args.connections), '-d', String(args.durationS), '-m', 'POST'],
    ...['-H', 'content-type=application/json', '-i', BODY_FILE, '-j', '-n'],
    `${url}/v1/detect`,
  ];
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, argv, { timeout: (args.durationS + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`autocannon failed: ${err.message}\n${stderr}`));
      try {
        resolvePromise(JSON.parse(stdout.trim().split('\n').pop()!) as AutocannonResult);
      } catch (cause) {
        reject(new Error(`autocannon printed no JSON result: ${stdout.slice(0, 200)}`, { cause }));
      }
    });
  });
}

/** What a bench needs from one built checkout: its service and its detectors. */
interface Checkout {
  dir: string;
  createServer: typeof import('../src/server/app.js').createServer;
  Ensemble: typeof import('../src/ensemble/ensemble.js').Ensemble;
  HeuristicDetector: typeof import('../src/detectors/heuristic/heuristic-detector.js').HeuristicDetector;
  createDetector: typeof import('../src/detectors/registry.js').createDetector;
  readTranscriptsJsonl: typeof import('../src/data/read-transcripts.js').readTranscriptsJsonl;
}

async function loadCheckout(dir: string): Promise<Checkout> {
  const lib = (await import(join(dir, 'dist/index.js'))) as Omit<Checkout, 'dir' | 'createServer'>;
  const server = (await import(join(dir, 'dist/server/index.js'))) as Pick<Checkout, 'createServer'>;
  return { dir, ...lib, createServer: server.createServer };
}

// "After": this checkout as built; "before": the built checkout named by BOTLENS_BENCH_BASELINE (e.g.
// /work/base4) when set, else ../base2 or ../base when present.
await ensureBuilt();
const after = await loadCheckout(resolve(here, '..'));
const BASELINE = process.env['BOTLENS_BENCH_BASELINE'];
const baseDir = (
  BASELINE ? [resolve(BASELINE)] : [resolve(here, '../../base2'), resolve(here, '../../base')]
).find((dir) => existsSync(join(dir, 'dist/server/index.js')));
const before = baseDir ? await loadCheckout(baseDir) : undefined;
const heuristicEnsemble = (c: Checkout) =>
  new c.Ensemble([new c.HeuristicDetector()], { strategy: 'weighted-mean' });

/** Serves `detector` on 127.0.0.1, warms it up, runs the load, and closes the server. */
async function scenario(name: string, detector: Detector, c: Checkout = after): Promise<Outcome> {
  const server = await c.createServer(detector);
  try {
    await server.ready;
    const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
    const body = readFileSync(BODY_FILE, 'utf8');
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${url}/v1/detect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (r.status !== 200) throw new Error(`warm-up request answered ${r.status}: ${await r.text()}`);
    }
    const cpu0 = process.cpuUsage();
    const result = await autocannon(url);
    const cpu = process.cpuUsage(cpu0);
    const answered = result['2xx'] + result.non2xx;
    return { scenario: name, result, cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, answered) };
  } finally {
    await server.app.close();
    await detector.dispose?.();
  }
}

/** The requests whose answers are compared: this example, ConvAI dev transcripts, a batch, bad bodies. */
function answerRequests(): AnswerRequest[] {
  const example = JSON.parse(readFileSync(BODY_FILE, 'utf8')) as Record<string, unknown>;
  const dev = existsSync(DEV)
    ? readFileSync(DEV, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .slice(0, 60)
        .map((line) => {
          const { target, messages } = JSON.parse(line) as Record<string, unknown>;
          return { target, messages };
        })
    : [];
  const one = (body: unknown): AnswerRequest => ({ url: '/v1/detect', body: JSON.stringify(body) });
  return [
    one(example),
    one({ ...example, timeline: true }),
    ...dev.map(one),
    one({ ...dev[0], timeline: true }),
    { url: '/v1/detect/batch', body: JSON.stringify({ transcripts: [example, ...dev.slice(0, 8)] }) },
    one({ messages: [] }),
    one({ target: 'nobody', messages: [{ speaker: 'a', text: 'hi' }] }),
    { url: '/v1/detect', body: '{"messages": [' },
  ];
}

const outcomes: Outcome[] = [];
const answers = before
  ? await compareAnswers(
      answerRequests(),
      () => before.createServer(heuristicEnsemble(before)),
      () => after.createServer(heuristicEnsemble(after)),
    )
  : undefined;
// Before and after alternate, --rounds times, so drift in the machine's load hits both alike.
const rates: { before: number[]; after: number[] } = { before: [], after: [] };
const cpus: { before: number[]; after: number[] } = { before: [], after: [] };
for (let round = 1; round <= args.rounds; round++) {
  if (before) {
    const o = await scenario(
      `heuristic, before (starting commit), round ${round}`,
      heuristicEnsemble(before),
      before,
    );
    rates.before.push(o.result!.requests.average);
    cpus.before.push(o.cpuUsPerRequest!);
    outcomes.push(o);
  }
  const o = await scenario(`heuristic, round ${round}`, heuristicEnsemble(after));
  rates.after.push(o.result!.requests.average);
  cpus.after.push(o.cpuUsPerRequest!);
  outcomes.push(o);
}

const model2 = 'heuristic + embedding (bench-minilm-l6, fp32)';
if (args.skip) {
  outcomes.push({ scenario: model2, note: 'skipped (--skip-models)' });
} else if (!existsSync(BENCH_MODEL) || !existsSync(TRAIN)) {
  outcomes.push({ scenario: model2, note: `skipped: the bench model and ConvAI data are not in ${shared}` });
} else {
  let embedding: Detector | undefined;
  try {
    embedding = await after.createDetector({
      type: 'embedding',
      embedder: 'transformers',
      model: BENCH_MODEL,
    });
  } catch (err) {
    const why = (err as Error).message.split('\n')[0]!.replace(/\/\S*\/([^/\s]+)/g, '$1');
    outcomes.push({ scenario: model2, note: `not available: ${why.slice(0, 100)}` });
  }
  if (embedding && !embedding.fit) {
    outcomes.push({ scenario: model2, note: 'not available: the embedding detector has no fit()' });
  } else if (embedding?.fit) {
    const t0 = performance.now();
    await embedding.fit((await after.readTranscriptsJsonl(TRAIN)).slice(0, 200));
    console.log(
      `(embedding detector fitted on 200 train transcripts in ${Math.round(performance.now() - t0)} ms)`,
    );
    outcomes.push(
      await scenario(
        model2,
        new after.Ensemble([new after.HeuristicDetector(), embedding], { strategy: 'weighted-mean' }),
      ),
    );
  }
}

console.log(
  `POST /v1/detect with examples/transcript.json (6 messages), ${args.connections} connections, ${args.durationS} s per scenario, ` +
    `loopback, service defaults (maxConcurrent 4, maxQueued 64, timeoutMs 10000); ${availableParallelism()} CPUs shared by server and load generator.` +
    (before ? ` Before: ${before.dir}; both built (dist/).\n` : '\n'),
);
printMarkdownTable(
  'scenario | requests/s: | p50 latency: | p99 latency: | 2xx: | non-2xx: | errors: | timeouts: | server CPU per request:',
  outcomes.map(({ scenario: name, result: r, note, cpuUsPerRequest }) => ({
    name,
    cells: r
      ? [
          r.requests.average.toFixed(0),
          `${r.latency.p50} ms`,
          `${r.latency.p99} ms`,
          r['2xx'],
          r.non2xx,
          r.errors,
          r.timeouts,
          `${cpuUsPerRequest!.toFixed(0)} µs`,
        ]
      : (note ?? ''),
  })),
);
if (rates.before.length > 0) {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const b = median(rates.before);
  const a = median(rates.after);
  console.log(
    `\nheuristic, median of ${args.rounds} alternating rounds: before ${b.toFixed(0)} req/s, after ${a.toFixed(0)} req/s, after/before ${(a / b).toFixed(2)}×.`,
  );
  // CPU time per request holds up better than requests/s when other work shares the machine.
  const cb = median(cpus.before);
  const ca = median(cpus.after);
  console.log(
    `server CPU per request, median: before ${cb.toFixed(0)} µs, after ${ca.toFixed(0)} µs, after/before ${(ca / cb).toFixed(2)}×.`,
  );
  const p99 = (side: string) =>
    median(outcomes.filter((o) => o.scenario.startsWith(side)).map((o) => o.result!.latency.p99));
  console.log(
    `p99 latency, median: before ${p99('heuristic, before')} ms, after ${p99('heuristic, round')} ms.`,
  );
}
if (answers) {
  console.log(`\n${answers.summary}`);
  for (const d of answers.differences) console.log(d);
  if (answers.differences.length > 0) process.exitCode = 1;
}
