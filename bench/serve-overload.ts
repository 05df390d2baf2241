/**
 * Overload benchmark of `botlens serve` on loopback: the heuristic service (maxConcurrent 4, maxQueued 64,
 * timeoutMs 10000, other settings default) under 1000 connections posting 1 MB transcripts for 10 s, the
 * scenario of issue 13. Runs the service as it was (the built CLI of BOTLENS_BENCH_BASELINE, else ../base2 or ../base, when present)
 * and as it is (this tree's built CLI when dist/ is newer than every file in src/, so both sides run compiled code
 * and their memory compares; else src/ through tsx, which adds the loader's memory) one after the other in one
 * run, each in its own process; the load comes from
 * autocannon in a third process, and this process probes /healthz every 50 ms and samples the server's RSS.
 * A third row runs the new service with detection in 2 worker threads (`server.workers: 2`).
 * Stops by itself: fixed load duration, a bounded wait for the last answers, then the server is killed.
 *
 * Reports: accepted (2xx) req/s, 429 count, p50/p99 of accepted requests, worst time to any answer, client
 * timeouts (no answer in 20 s), /healthz p99 and worst during the load, RSS before/peak/after, and the requests
 * the server still works on 1 s after the load stopped (running + queued + receiving from /metrics).
 *
 *   npx tsx bench/serve-overload.ts [--connections 1000] [--duration 10] [--rounds 1] [--skip-workers]
 */
// needs: none
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLoadArgs } from './lib/load-args.js';
import { printMarkdownTable } from './lib/markdown-table.js';

const args = parseLoadArgs('serve-overload.ts', 'skip-workers', {
  connections: { default: 1000, max: 2000 },
  duration: { default: 10, max: 30 },
  rounds: { default: 1, max: 5 },
});
const CLIENT_TIMEOUT_S = 20;
const TIMEOUT_MS = 10_000;

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
// "Before": the built checkout named by BOTLENS_BENCH_BASELINE (e.g. /work/base3) when set, else ../base2 or
// ../base (an earlier commit, built) when present.
const BASELINE = process.env['BOTLENS_BENCH_BASELINE'];
const baseCli = (BASELINE ? [resolve(BASELINE)] : [resolve(root, '../base2'), resolve(root, '../base')])
  .map((dir) => join(dir, 'dist/cli/main.js'))
  .find((p) => existsSync(p));
const work = mkdtempSync(join(tmpdir(), 'botlens-overload-'));
const configFile = join(work, 'botlens.config.json');
const serverSettings = { maxConcurrent: 4, maxQueued: 64, timeoutMs: TIMEOUT_MS };
writeFileSync(configFile, JSON.stringify({ server: serverSettings }));
// The same service with detection in 2 worker threads (server.workers, new: the old config schema refuses it).
const workersConfigFile = join(work, 'botlens.workers.config.json');
writeFileSync(workersConfigFile, JSON.stringify({ server: { ...serverSettings, workers: 2 } }));

// A 200-message transcript of about 1 MB (under the default 1 MiB body limit).
const bodyFile = join(work, 'transcript-1mb.json');
const words =
  'Hello ! I am fine , thank you . What do you do for fun ? I like to read books and walk my dog . ';
writeFileSync(
  bodyFile,
  JSON.stringify({
    target: 'b',
    messages: Array.from({ length: 200 }, (_, i) => ({
      speaker: i % 2 ? 'b' : 'a',
      text: words.repeat(52).slice(0, 4950),
    })),
  }),
);

interface ClientResult {
  byStatus: Record<string, number>;
  acceptedPerS: number;
  p50: number | null;
  p99: number | null;
  worstMs: number;
  timeouts: number;
  errors: number;
}

function startServer(argv: string[], config: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...argv, 'serve', '--config', config, '--port', '0'], {
    cwd: root,
    env: { ...process.env, BOTLENS_API_KEY: undefined as unknown as string },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${err}`)), 60_000);
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m && /ready/.test(err)) {
        clearTimeout(timer);
        resolveStart({ child, url: m[1]! });
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * The requests the server is still working on: running, queued, and receiving or parsing their body (services
 * that do not report `receiving` count running and queued only).
 */
async function inFlight(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(15_000) })).text();
  let n = 0;
  for (const m of text.matchAll(/botlens_requests_in_flight\{state="(running|queued|receiving)"\} (\d+)/g))
    n += Number(m[2]);
  return n;
}

function runClient(url: string): Promise<ClientResult> {
  const argv = ['--import', 'tsx', join(here, 'lib/overload-client.ts'), `${url}/v1/detect`, bodyFile];
  argv.push(String(args.connections), String(args.durationS), String(CLIENT_TIMEOUT_S));
  return new Promise((resolveRun, reject) => {
    execFile(
      process.execPath,
      argv,
      { cwd: root, timeout: (args.durationS + 60) * 1000, maxBuffer: 1 << 20 },
      (e, out, err) => {
        if (e) return reject(new Error(`load client failed: ${e.message}\n${err}`));
        resolveRun(JSON.parse(out.trim().split('\n').pop()!) as ClientResult);
      },
    );
  });
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;

async function scenario(name: string, argv: string[], config = configFile) {
  const { child, url } = await startServer(argv, config);
  try {
    const pid = child.pid!;
    await new Promise((r) => setTimeout(r, 500));
    const rssBefore = rssMb(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMb(pid) || 0);
    }, 100);
    const probes: number[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const t0 = performance.now();
        try {
          await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) })).text();
        } catch {}
        probes.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // The probe runs for as long as the load does; the load ends when the client process reports.
    const c = await runClient(url).finally(() => {
      probing = false;
    });
    await prober;
    // autocannon has stopped and closed its connections; one second later, what is the server still working on?
    await new Promise((r) => setTimeout(r, 1000));
    const stillRunning = await inFlight(url).catch(() => Number.NaN);
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 2000));
    const rssAfter = rssMb(pid);
    return { name, c, probes, rssBefore, rssPeak, rssAfter, stillRunning };
  } finally {
    child.kill('SIGKILL');
  }
}

const rows: Awaited<ReturnType<typeof scenario>>[] = [];
/** The newest modification time of the files under a folder. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}
const builtCli = join(root, 'dist/cli/main.js');
const useBuilt = existsSync(builtCli) && statSync(builtCli).mtimeMs > newest(join(root, 'src'));
const cli = useBuilt ? [builtCli] : ['--import', 'tsx', join(root, 'src/cli/main.ts')];
// Before and after alternate, --rounds times, so drift in the machine's load hits both alike.
for (let round = 1; round <= args.rounds; round++) {
  const suffix = args.rounds > 1 ? `, round ${round}` : '';
  if (baseCli) rows.push(await scenario(`before (starting commit)${suffix}`, [baseCli]));
  rows.push(await scenario(`after (this tree)${suffix}`, cli));
}
if (!args.skip) rows.push(await scenario('after, server.workers 2', cli, workersConfigFile));

const f = (x: number | null, d = 0) => (x === null || Number.isNaN(x) ? '-' : x.toFixed(d));
console.log(
  `POST /v1/detect with a 200-message, ${(readFileSync(bodyFile).length / 1e6).toFixed(2)} MB transcript, ${args.connections} connections for ${args.durationS} s, ` +
    `heuristic service (maxConcurrent 4, maxQueued 64, timeoutMs ${TIMEOUT_MS}), client timeout ${CLIENT_TIMEOUT_S} s, loopback.` +
    (baseCli
      ? ` Before: ${dirname(dirname(dirname(baseCli)))}.`
      : ' (no built baseline found: no before row)') +
    (useBuilt
      ? ' After: the built CLI (dist/).'
      : ' After: src/ through tsx (dist/ missing or older than src/).') +
    '\nTargets: worst answer <= timeoutMs + 1 s, /healthz p99 <= 100 ms, RSS growth <= 300 MB, nothing running 1 s after the load.\n',
);
printMarkdownTable(
  'service | accepted req/s: | 2xx: | 429: | 503: | other: | client timeouts: | accepted p50: | accepted p99: | ' +
    'worst answer: | /healthz p99: | /healthz worst: | RSS before → peak → after | running 1 s after:',
  rows.map((r) => {
    const s = r.c.byStatus;
    const n2xx = Object.entries(s)
      .filter(([k]) => k.startsWith('2'))
      .reduce((a, [, v]) => a + v, 0);
    const other =
      Object.entries(s)
        .filter(([k]) => !/^(2..|429|503)$/.test(k))
        .reduce((a, [, v]) => a + v, 0) + r.c.errors;
    const cells = [
      f(r.c.acceptedPerS, 1),
      n2xx,
      s['429'] ?? 0,
      s['503'] ?? 0,
      other,
      r.c.timeouts,
      `${f(r.c.p50)} ms`,
      `${f(r.c.p99)} ms`,
      `${f(r.c.worstMs)} ms`,
      `${f(pct(r.probes, 0.99))} ms`,
      `${f(Math.max(...r.probes))} ms`,
      `${f(r.rssBefore)} → ${f(r.rssPeak)} → ${f(r.rssAfter)} MB`,
      f(r.stillRunning),
    ];
    return { name: r.name, cells };
  }),
);
console.log(
  '\n"other" counts connection errors (a refused request whose connection is closed before its body is read) and other statuses.',
);
