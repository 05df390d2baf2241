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
 * With a built earlier checkout present (BOTLENS_BENCH_BASELINE, else ../base2 or ../base), the heuristic scenario runs the old service and this one
 * alternately, `--rounds` times each, and prints the ratio of their median requests/s and of the server's median
 * CPU time per request (this process's CPU time, which is the server's: the load runs in a child process).
 */
// needs: none (the model-backed scenario is skipped without ../shared)
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Detector } from '../src/core/detector.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { createDetector } from '../src/detectors/registry.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import { createServer } from '../src/server/app.js';
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

type CreateServer = typeof createServer;
/**
 * "Before": the built checkout named by BOTLENS_BENCH_BASELINE (e.g. /work/base3) when set, else ../base2 or
 * ../base (an earlier commit, built) when present.
 */
const BASELINE = process.env['BOTLENS_BENCH_BASELINE'];
const BASE_SERVER = (
  BASELINE ? [resolve(BASELINE)] : [resolve(here, '../../base2'), resolve(here, '../../base')]
)
  .map((dir) => join(dir, 'dist/server/index.js'))
  .find((p) => existsSync(p));
/** The service as it was at the starting commit, for a side-by-side row; absent without it. */
const baseCreateServer: CreateServer | undefined = BASE_SERVER
  ? ((await import(BASE_SERVER)) as { createServer: CreateServer }).createServer
  : undefined;

/** Serves `detector` on 127.0.0.1, warms it up, runs the load, and closes the server. */
async function scenario(
  name: string,
  detector: Detector,
  create: CreateServer = createServer,
): Promise<Outcome> {
  const server = await create(detector);
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

const outcomes: Outcome[] = [];
const heuristicEnsemble = () => new Ensemble([new HeuristicDetector()], { strategy: 'weighted-mean' });
// Before and after alternate, --rounds times, so drift in the machine's load hits both alike.
const rates: { before: number[]; after: number[] } = { before: [], after: [] };
const cpus: { before: number[]; after: number[] } = { before: [], after: [] };
for (let round = 1; round <= args.rounds; round++) {
  if (baseCreateServer) {
    const o = await scenario(
      `heuristic, before (starting commit), round ${round}`,
      heuristicEnsemble(),
      baseCreateServer,
    );
    rates.before.push(o.result!.requests.average);
    cpus.before.push(o.cpuUsPerRequest!);
    outcomes.push(o);
  }
  const o = await scenario(`heuristic, round ${round}`, heuristicEnsemble());
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
    embedding = await createDetector({ type: 'embedding', embedder: 'transformers', model: BENCH_MODEL });
  } catch (err) {
    const why = (err as Error).message.split('\n')[0]!.replace(/\/\S*\/([^/\s]+)/g, '$1');
    outcomes.push({ scenario: model2, note: `not available: ${why.slice(0, 100)}` });
  }
  if (embedding && !embedding.fit) {
    outcomes.push({ scenario: model2, note: 'not available: the embedding detector has no fit()' });
  } else if (embedding?.fit) {
    const t0 = performance.now();
    await embedding.fit((await readTranscriptsJsonl(TRAIN)).slice(0, 200));
    console.log(
      `(embedding detector fitted on 200 train transcripts in ${Math.round(performance.now() - t0)} ms)`,
    );
    outcomes.push(
      await scenario(
        model2,
        new Ensemble([new HeuristicDetector(), embedding], { strategy: 'weighted-mean' }),
      ),
    );
  }
}

console.log(
  `POST /v1/detect with examples/transcript.json (6 messages), ${args.connections} connections, ${args.durationS} s per scenario, ` +
    `loopback, service defaults (maxConcurrent 4, maxQueued 64, timeoutMs 10000); ${availableParallelism()} CPUs shared by server and load generator.` +
    (BASE_SERVER ? ` Before: ${resolve(BASE_SERVER, '../../..')}.\n` : '\n'),
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
}
