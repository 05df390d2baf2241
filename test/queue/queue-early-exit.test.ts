/**
 * `botlens score --redis` that ends early withdraws its queued jobs however it ends (Ctrl-C did already): on SIGTERM
 * (exit 143) and when its standard output's reader goes away (exit 141); and a Redis that stops mid-run ends the
 * run loudly and in bounded time (exit 1, naming the URL and `--resume`), with the output holding whole lines only.
 * Real child processes running the CLI from source against a real redis-server: the shared test one for the
 * withdrawals, a private one started (and stopped) here for the outage.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildScoringDetector } from '../../src/corpus/build-detector.js';
import { scoreLines } from '../../src/corpus/score-line.js';
import type { ScoreOutcome } from '../../src/corpus/types.js';
import { HEURISTIC, syntheticCorpus } from '../corpus/corpus-fixture.js';
import { HAS_REDIS_SERVER, startRedis as startPrivateRedis } from '../helpers/private-redis.js';
import { ROOT } from '../helpers/run-cli.js';
import {
  describeWithRedis,
  describeWithRedisAnd,
  killChildrenAfterEach,
  TEST_REDIS,
} from '../helpers/worker-process.js';

const REDIS = TEST_REDIS;

/** The outage tests stop a Redis of their own. */
const NEEDS_REDIS_SERVER = {
  ok: HAS_REDIS_SERVER,
  why: 'they start a redis-server of their own: install redis-server',
};

const queues: { name: string; redis: string }[] = [];

const track = killChildrenAfterEach();

afterAll(async () => {
  const { Queue } = await import('bullmq');
  for (const { name, redis } of queues) {
    const q = new Queue(name, { connection: { url: redis } });
    try {
      await q.obliterate({ force: true });
    } finally {
      await q.close();
    }
  }
});

/** The window of jobs a queue run keeps in flight (`scoreCorpusOnQueue`'s default), one line each here. */
const WINDOW = 64;

/** A corpus of `n` lines in a fresh folder. */
function corpusFile(n: number): { dir: string; corpus: string } {
  const dir = mkdtempSync(join(tmpdir(), 'botlens-q-exit-'));
  const corpus = join(dir, 'corpus.jsonl');
  writeFileSync(corpus, `${syntheticCorpus(n).join('\n')}\n`);
  return { dir, corpus };
}

/** Starts `botlens score CORPUS --out OUT --redis REDIS --queue QUEUE --batch-size N`; `ended` says how it ended. */
function startScore(corpus: string, out: string, redis: string, queue: string, batchSize = 1) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'score',
      corpus,
      '--out',
      out,
      '--redis',
      redis,
      '--queue',
      queue,
      '--batch-size',
      String(batchSize),
      '--no-progress',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', BOTLENS_OFFLINE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  track(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((ok) =>
    child.on('close', (code, signal) => ok({ code, signal, stderr })),
  );
  return { child, ended };
}

/** A queue on `redis` for one test (emptied after the tests), and a connection to look at it. */
async function openQueue(redis: string) {
  const name = `botlens-test-exit-${randomUUID()}`;
  queues.push({ name, redis });
  const { Queue, Worker } = await import('bullmq');
  const q = new Queue(name, { connection: { url: redis } });
  q.on('error', () => undefined);
  return {
    name,
    q,
    /** Resolves once `n` jobs wait (within 60 s). */
    async waiting(n: number): Promise<number> {
      for (let i = 0; i < 1200; i++) {
        const count = await q.getWaitingCount();
        if (count >= n) return count;
        await new Promise((r) => setTimeout(r, 50));
      }
      return q.getWaitingCount();
    },
    /** Scores the first `n` waiting jobs as a worker would (exactly those: no worker takes more). */
    async complete(n: number): Promise<void> {
      const w = new Worker(name, null, { connection: { url: redis }, autorun: false });
      const detector = await buildScoringDetector(HEURISTIC);
      try {
        for (let i = 0; i < n; i++) {
          const job = await w.getNextJob('t');
          const { lines, evidence, limits } = job!.data as {
            lines: { line: number; text: string }[];
            evidence: boolean;
            limits?: object;
          };
          const outcomes: ScoreOutcome[] = await scoreLines(detector, lines, evidence, limits ?? {});
          await job!.moveToCompleted(outcomes, 't', false);
        }
      } finally {
        await w.close();
        await detector.dispose?.();
      }
    },
  };
}

describeWithRedis('score --redis ending early withdraws its queued jobs', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    'on %s: removes the waiting jobs, says so, exits %i',
    async (signal, exit) => {
      const { dir, corpus } = corpusFile(200);
      const queue = await openQueue(REDIS!);
      try {
        const run = startScore(corpus, join(dir, 'scores.jsonl'), REDIS!, queue.name);
        expect(await queue.waiting(WINDOW)).toBe(WINDOW); // no worker: the window's jobs wait
        run.child.kill(signal);
        const r = await run.ended;
        expect(r.stderr).toContain(`removed ${WINDOW} queued job(s) of this run from queue ${queue.name}`);
        expect(r.code).toBe(exit);
        expect(await queue.q.getWaitingCount()).toBe(0);
      } finally {
        await queue.q.close();
      }
    },
    90_000,
  );

  it('when standard output is closed by its reader: removes the waiting jobs, says so, exits 141', async () => {
    // 10 jobs of 500 lines: the first one's records (over the 64 KiB the output gathers before it writes) reach
    // the closed pipe.
    const { corpus } = corpusFile(5000);
    const queue = await openQueue(REDIS!);
    try {
      const run = startScore(corpus, '-', REDIS!, queue.name, 500);
      run.child.stdout!.destroy(); // the reader goes away before the first record
      expect(await queue.waiting(10)).toBe(10);
      await queue.complete(1);
      const r = await run.ended;
      expect(r.stderr).toContain(`removed 9 queued job(s) of this run from queue ${queue.name}`);
      expect(r.stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
      expect(r.code).toBe(141);
      expect(await queue.q.getWaitingCount()).toBe(0);
    } finally {
      await queue.q.close();
    }
  }, 90_000);
});

/** Starts a private redis-server (killed after each test). */
async function startRedis(): Promise<{ url: string; port: number; server: ChildProcess }> {
  const r = await startPrivateRedis();
  track(r.server);
  return r;
}

describeWithRedisAnd(NEEDS_REDIS_SERVER)('score --redis when Redis stops mid-run', () => {
  it('exits 1 within seconds naming the URL and --resume; the output holds the whole lines scored before', async () => {
    const { dir, corpus } = corpusFile(200);
    const out = join(dir, 'scores.jsonl');
    const { url, server } = await startRedis();
    const queue = await openQueue(url);
    queues.pop(); // its Redis is gone by the end: nothing to empty
    const run = startScore(corpus, out, url, queue.name);
    expect(await queue.waiting(WINDOW)).toBe(WINDOW);
    await queue.complete(2);
    await queue.q.close();
    // Lines 1 and 2 are scored; the run waits on the rest. Redis goes away.
    const stopped = Date.now();
    server.kill('SIGKILL');
    const r = await Promise.race([
      run.ended,
      new Promise<undefined>((ok) => setTimeout(() => ok(undefined), 45_000)),
    ]);
    expect(r, 'the run was still waiting 45 s after Redis stopped').toBeDefined();
    const took = Date.now() - stopped;
    expect(r!.stderr).toMatch(
      new RegExp(`Lost Redis at redis://127\\.0\\.0\\.1:${new URL(url).port} mid-run.*--resume`),
    );
    expect(r!.stderr).not.toMatch(/\n\s+at /);
    expect(r!.code).toBe(1);
    expect(took).toBeLessThan(30_000);
    // Whole lines only, in order: the two scored before Redis went.
    expect(existsSync(out)).toBe(true);
    const text = readFileSync(out, 'utf8');
    expect(text === '' || text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual([1, 2]);
  }, 120_000);
});

describeWithRedisAnd(NEEDS_REDIS_SERVER)('score --redis when Redis restarts without its data', () => {
  it('exits 1 within seconds naming the loss and --resume, instead of waiting for ever; whole lines only', async () => {
    const { dir, corpus } = corpusFile(200);
    const out = join(dir, 'scores.jsonl');
    const first = await startRedis();
    const queue = await openQueue(first.url);
    queues.pop(); // its Redis loses everything: nothing to empty
    const run = startScore(corpus, out, first.url, queue.name);
    expect(await queue.waiting(WINDOW)).toBe(WINDOW);
    await queue.complete(2);
    await queue.q.close();
    // Lines 1 and 2 are scored; the run waits on the rest. Redis stops without saving (as `redis-cli shutdown
    // nosave` does) and is back, empty, 1.5 s later: well within the outage limit (3 x 3 s).
    first.server.kill('SIGKILL');
    await new Promise((ok) => first.server.once('exit', ok));
    await new Promise((r) => setTimeout(r, 1500));
    const lost = Date.now();
    const second = await startPrivateRedis(first.port);
    track(second.server);
    const r = await Promise.race([
      run.ended,
      new Promise<undefined>((ok) => setTimeout(() => ok(undefined), 30_000)),
    ]);
    expect(r, 'the run was still waiting 30 s after Redis came back without its data').toBeDefined();
    expect(Date.now() - lost).toBeLessThan(15_000);
    expect(r!.stderr).toMatch(
      new RegExp(`Redis at redis://127\\.0\\.0\\.1:${first.port} lost this run's data mid-run.*--resume`),
    );
    expect(r!.stderr).not.toMatch(/\n\s+at /);
    expect(r!.code).toBe(1);
    const text = readFileSync(out, 'utf8');
    expect(text === '' || text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual([1, 2]);
  }, 120_000);
});

describeWithRedis('score --redis killed with SIGKILL', () => {
  it('keeps the lines finished over a second before: they reach the file without 64 KiB of them', async () => {
    const { dir, corpus } = corpusFile(200);
    const out = join(dir, 'scores.jsonl');
    const queue = await openQueue(REDIS!);
    try {
      const run = startScore(corpus, out, REDIS!, queue.name);
      expect(await queue.waiting(WINDOW)).toBe(WINDOW);
      await queue.complete(2);
      // Lines 1 and 2 are scored (a few hundred bytes); the rest wait for a worker: a slow model's run.
      let text = '';
      for (let i = 0; i < 50 && text.split('\n').length < 3; i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = existsSync(out) ? readFileSync(out, 'utf8') : '';
      }
      run.child.kill('SIGKILL');
      await run.ended;
      text = readFileSync(out, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.split('\n').filter((l) => l !== '');
      expect(lines.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual([1, 2]);
    } finally {
      await queue.q.close();
    }
  }, 90_000);
});
