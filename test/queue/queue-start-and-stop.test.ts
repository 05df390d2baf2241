import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { buildScoringDetector } from '../../src/corpus/build-detector.js';
import { startQueueWorker } from '../../src/corpus/queue/queue-worker.js';
import {
  type QueueRun,
  scoreCorpusOnQueue,
  scoreCorpusOnQueueWith,
} from '../../src/corpus/queue/score-on-queue.js';
import { scoreCorpus } from '../../src/corpus/score-corpus.js';
import type { ScoreOutcome, ScoringDetector } from '../../src/corpus/types.js';
import { HEURISTIC, syntheticCorpus } from '../corpus/corpus-fixture.js';
import { fitWithCli } from '../helpers/fit-with-cli.js';
import { runCli } from '../helpers/run-cli.js';
import { describeWithRedis, TEST_REDIS } from '../helpers/worker-process.js';

const REDIS = TEST_REDIS;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const queues: string[] = [];

/** A fresh queue name, whose keys are deleted after the tests. */
function newQueue(): string {
  const q = `botlens-test-fix-${randomUUID()}`;
  queues.push(q);
  return q;
}

afterAll(async () => {
  if (!REDIS) return;
  const { Queue } = await import('bullmq');
  for (const name of queues) {
    const q = new Queue(name, { connection: { url: REDIS } });
    try {
      await q.obliterate({ force: true });
      const client = (await q.client) as unknown as {
        keys(p: string): Promise<string[]>;
        del(...k: string[]): Promise<number>;
      };
      const keys = await client.keys(`botlens:${name}:*`);
      if (keys.length > 0) await client.del(...keys);
    } finally {
      await q.close();
    }
  }
});

async function collect(it: AsyncIterable<ScoreOutcome>): Promise<ScoreOutcome[]> {
  const out: ScoreOutcome[] = [];
  for await (const o of it) out.push(o);
  return out;
}

/** A fitted-file detector: the heuristic's saved state. */
async function savedHeuristic(): Promise<string> {
  const d = await buildScoringDetector(HEURISTIC);
  const file = join(mkdtempSync(join(tmpdir(), 'botlens-q-fit-')), 'fitted.json');
  writeFileSync(file, JSON.stringify(d.toJSON!()));
  await d.dispose?.call(d);
  return file;
}

describeWithRedis('queue scoring: what a run applies, how it starts and stops', () => {
  it('applies the load options of a { file, options } detector as a local run does (threshold, model folder)', async () => {
    const queue = newQueue();
    const file = await savedHeuristic();
    const modelDir = mkdtempSync(join(tmpdir(), 'botlens-q-models-'));
    const lines = syntheticCorpus(12);
    const worker = await startQueueWorker({ redis: REDIS!, queue });
    try {
      const plain = await collect(scoreCorpusOnQueue(lines, { redis: REDIS!, queue, detector: { file } }));
      for (const threshold of [0.001, 0.999]) {
        const detector: ScoringDetector = { file, options: { threshold, modelDir } };
        const local = await collect(scoreCorpus(lines, { detector, threads: 0 }));
        const got = await collect(
          scoreCorpusOnQueue(lines, { redis: REDIS!, queue, detector, batchSize: 5 }),
        );
        expect(got).toEqual(local);
        expect(got.map((o) => 'record' in o && o.record.label)).not.toEqual(
          plain.map((o) => 'record' in o && o.record.label),
        );
      }
      // A model folder that is not there fails as it does locally (the option reached the worker).
      const missing: ScoringDetector = { file, options: { modelDir: join(modelDir, 'gone') } };
      await expect(
        collect(scoreCorpusOnQueue(lines, { redis: REDIS!, queue, detector: missing })),
      ).rejects.toMatchObject({ code: 'WORKER_DETECTOR_FAILED', message: expect.stringMatching(/gone/) });
    } finally {
      await worker.close();
    }
  }, 120_000);

  it('botlens score --redis writes byte for byte what --workers 0 writes with --threshold, --prior and --model-dir', async () => {
    const queue = newQueue();
    const dir = mkdtempSync(join(tmpdir(), 'botlens-q-cli-'));
    const chats = join(root, 'test/quality/fixtures/chats.jsonl');
    const fitted = join(dir, 'fitted.json');
    await fitWithCli(chats, ['--detectors', 'heuristic', '--strategy', 'stacking'], fitted);
    const modelDir = mkdtempSync(join(tmpdir(), 'botlens-q-cli-models-'));
    const flags = [
      '--model',
      fitted,
      '--threshold',
      '0.6',
      '--prior',
      '0.2',
      '--model-dir',
      modelDir,
      '--no-progress',
    ];
    const local = await runCli([
      'score',
      chats,
      '--out',
      join(dir, 'local.jsonl'),
      ...flags,
      '--workers',
      '0',
    ]);
    expect(local.code).toBe(0);
    const plain = await runCli([
      'score',
      chats,
      '--out',
      join(dir, 'plain.jsonl'),
      '--model',
      fitted,
      '--workers',
      '0',
    ]);
    expect(plain.code).toBe(0);
    const worker = await startQueueWorker({ redis: REDIS!, queue });
    try {
      const viaQueue = await runCli([
        'score',
        chats,
        '--out',
        join(dir, 'queue.jsonl'),
        ...flags,
        '--redis',
        REDIS!,
        '--queue',
        queue,
      ]);
      expect(viaQueue.code, viaQueue.stderr).toBe(0);
    } finally {
      await worker.close();
    }
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    expect(read('queue.jsonl')).toBe(read('local.jsonl'));
    expect(read('local.jsonl')).not.toBe(read('plain.jsonl')); // the flags change the scores
  }, 180_000);

  it('stops the run at once when the workers cannot build the detector (no retries, no line blamed)', async () => {
    const queue = newQueue();
    const failures: string[] = [];
    const worker = await startQueueWorker({ redis: REDIS!, queue, onFailed: (_id, r) => failures.push(r) });
    const custom: ScoringDetector = { state: { kind: 'link-spam', version: 1 } };
    try {
      const err = await collect(
        scoreCorpusOnQueue(syntheticCorpus(6), {
          redis: REDIS!,
          queue,
          detector: custom,
          batchSize: 2,
          window: 1,
        }),
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'WORKER_DETECTOR_FAILED' });
      expect((err as Error).message).toMatch(/link-spam.*same NODE_OPTIONS=--import/s);
      expect(failures).toHaveLength(1); // one job, one attempt: not 3 attempts, then every line alone
    } finally {
      await worker.close();
    }
    // Worker threads: the same typed error, not an "unexpected error" from the pool.
    await expect(
      collect(scoreCorpus(syntheticCorpus(4), { detector: custom, threads: 1 })),
    ).rejects.toMatchObject({
      code: 'WORKER_DETECTOR_FAILED',
      message: expect.stringMatching(/worker threads cannot build the detector.*link-spam/s),
    });
  }, 120_000);

  it('fails fast on an unreachable Redis or refused credentials, never showing the password', async () => {
    const started = Date.now();
    for (const start of [
      () =>
        collect(
          scoreCorpusOnQueue(syntheticCorpus(2), { redis: 'redis://127.0.0.1:1', detector: HEURISTIC }),
        ),
      () => startQueueWorker({ redis: 'redis://127.0.0.1:1', connectTimeout: 500 }),
    ]) {
      await expect(start()).rejects.toMatchObject({
        code: 'REDIS_UNREACHABLE',
        message: expect.stringMatching(/redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED/),
      });
    }
    expect(Date.now() - started).toBeLessThan(20_000);
    const wrong = REDIS!.replace('redis://', 'redis://someone:s3cretpw@');
    const err = await startQueueWorker({ redis: wrong }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REDIS_UNREACHABLE', message: expect.stringMatching(/credentials/) });
    expect((err as Error).message).not.toContain('s3cretpw');
    const http = await collect(
      scoreCorpusOnQueue(syntheticCorpus(2), { redis: 'http://user:s3cretpw@nohost', detector: HEURISTIC }),
    ).catch((e: unknown) => e);
    expect(http).toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/redis:\/\//) });
    expect((http as Error).message).not.toContain('s3cretpw');
  }, 60_000);

  it('refuses a queue name BullMQ cannot use: a usage error on the command line', async () => {
    for (const queue of ['', 'a:b']) {
      await expect(
        collect(scoreCorpusOnQueue(syntheticCorpus(2), { redis: REDIS!, queue, detector: HEURISTIC })),
      ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    }
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--redis', REDIS!, '--queue', 'a:b'],
      { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--queue.*without ":"/);
    expect(r.stderr).not.toMatch(/unexpected error/);
  }, 60_000);

  it('a stopped run withdraws its jobs that no worker took', async () => {
    const queue = newQueue();
    let run: QueueRun | undefined;
    const running = collect(
      scoreCorpusOnQueueWith(
        syntheticCorpus(40),
        { redis: REDIS!, queue, detector: HEURISTIC, batchSize: 4, window: 8 },
        { unfittedChecked: false, onRun: (r) => (run = r) },
      ),
    ).catch((e: unknown) => e);
    const { Queue } = await import('bullmq');
    const q = new Queue(queue, { connection: { url: REDIS! } });
    try {
      for (let i = 0; i < 200 && (await q.getWaitingCount()) < 8; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await q.getWaitingCount()).toBe(8); // no worker: the window's jobs wait
      const withdrawn = await run!.withdraw();
      expect(withdrawn).toEqual({ removed: 8, remaining: 0 });
      expect(await running).toMatchObject({ code: 'ABORTED' });
      expect(await q.getWaitingCount()).toBe(0);
    } finally {
      await q.close();
    }
  }, 60_000);
  it('says once, while it keeps waiting, that no worker has taken a job; not when a worker runs', async () => {
    const queue = newQueue();
    let run: QueueRun | undefined;
    const notes: number[] = [];
    const running = collect(
      scoreCorpusOnQueueWith(
        syntheticCorpus(8),
        { redis: REDIS!, queue, detector: HEURISTIC, batchSize: 4 },
        {
          unfittedChecked: false,
          onRun: (r) => (run = r),
          onNoWorker: (ms) => notes.push(ms),
          noWorkerAfterMs: 300,
        },
      ),
    ).catch((e: unknown) => e);
    for (let i = 0; i < 100 && notes.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 700)); // a second note would have come by now
    expect(notes).toEqual([300]);
    await run!.withdraw();
    expect(await running).toMatchObject({ code: 'ABORTED' });

    const served = newQueue();
    const worker = await startQueueWorker({ redis: REDIS!, queue: served });
    try {
      const quiet: number[] = [];
      const got = await collect(
        scoreCorpusOnQueueWith(
          syntheticCorpus(8),
          { redis: REDIS!, queue: served, detector: HEURISTIC, batchSize: 4 },
          { unfittedChecked: false, onNoWorker: (ms) => quiet.push(ms), noWorkerAfterMs: 5000 },
        ),
      );
      expect(got).toHaveLength(8);
      expect(quiet).toEqual([]);
    } finally {
      await worker.close();
    }
  }, 60_000);
});
