import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildScoringDetector } from '../../src/corpus/build-detector.js';
import { startQueueWorker } from '../../src/corpus/queue/queue-worker.js';
import { scoreCorpusOnQueue } from '../../src/corpus/queue/score-on-queue.js';
import { scoreCorpus } from '../../src/corpus/score-corpus.js';
import { writeScores } from '../../src/corpus/score-to-file.js';
import type { ScoreOutcome } from '../../src/corpus/types.js';
import { HEURISTIC, syntheticCorpus } from '../corpus/corpus-fixture.js';
import { describeWithRedis, TEST_REDIS as REDIS, startWorkerProcess } from '../helpers/worker-process.js';

/** Starts `botlens worker` in a child process; resolves once it says it is ready. */
function startWorker(queue: string): Promise<ChildProcess> {
  return startWorkerProcess([
    '--redis',
    REDIS!,
    '--queue',
    queue,
    '--lock-duration',
    '1500',
    '--stalled-interval',
    '500',
  ]);
}

/**
 * Kills `worker` (SIGKILL) while it holds a job, as BullMQ's `processedBy` (`host:pid`, set by the worker) shows,
 * so that job must be found stalled and run again. The worker is frozen (SIGSTOP) before each look, so the job
 * it is seen to hold cannot finish between the look and the kill; an idle worker is let go on (SIGCONT) and looked
 * at again, at most 400 times.
 */
async function killWhileBusy(worker: ChildProcess, queue: string): Promise<void> {
  const { Queue } = await import('bullmq');
  const q = new Queue(queue, { connection: { url: REDIS! } });
  const me = `${hostname()}:${worker.pid}`;
  try {
    for (let i = 0; i < 400; i++) {
      worker.kill('SIGSTOP');
      if ((await q.getActive()).some((j) => j.processedBy === me)) break;
      worker.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    worker.kill('SIGKILL');
    await q.close();
  }
}

async function collect(it: AsyncIterable<ScoreOutcome>): Promise<ScoreOutcome[]> {
  const out: ScoreOutcome[] = [];
  for await (const o of it) out.push(o);
  return out;
}

describeWithRedis('scoring through a BullMQ queue on Redis', () => {
  it('two worker processes give the same results as local scoring, even when one is killed mid-run', async () => {
    const queue = `botlens-test-${randomUUID()}`;
    const lines = syntheticCorpus(600);
    lines.splice(100, 0, '{"broken": ');
    const local = await collect(scoreCorpus(lines, { detector: HEURISTIC, threads: 0 }));
    const [a] = await Promise.all([startWorker(queue), startWorker(queue)]);
    const { QueueEvents } = await import('bullmq');
    const events = new QueueEvents(queue, { connection: { url: REDIS! } });
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    await events.waitUntilReady();
    const got: ScoreOutcome[] = [];
    let killed: Promise<void> | undefined;
    for await (const o of scoreCorpusOnQueue(lines, {
      redis: REDIS!,
      queue,
      detector: HEURISTIC,
      batchSize: 4,
      window: 16,
    })) {
      got.push(o);
      // Mid-run, while it holds a job: that job must be retried by the other worker. (Killed at a fixed count
      // instead, it could be between jobs on a loaded machine, and then nothing stalls.)
      if (got.length === 150) killed = killWhileBusy(a!, queue);
    }
    await killed;
    await events.close();
    expect(a!.signalCode).toBe('SIGKILL');
    expect(stalled.length).toBeGreaterThan(0); // the killed worker's job was found stalled and run again
    expect(got).toEqual(local);
  }, 180_000);

  it('writes and resumes files like local scoring', async () => {
    const queue = `botlens-test-${randomUUID()}`;
    const dir = mkdtempSync(join(tmpdir(), 'botlens-queue-'));
    const input = join(dir, 'corpus.jsonl');
    writeFileSync(input, `${syntheticCorpus(60).join('\n')}\n`);
    const ref = join(dir, 'ref.jsonl');
    await writeScores(
      input,
      (after) => scoreCorpus(input, { detector: HEURISTIC, threads: 0, afterLine: after }),
      { out: ref },
    );
    const worker = await startQueueWorker({ redis: REDIS!, queue });
    try {
      const out = join(dir, 'scores.jsonl');
      const viaQueue = (after: number) =>
        scoreCorpusOnQueue(input, { redis: REDIS!, queue, detector: HEURISTIC, afterLine: after });
      // A run that stopped after line 25 (as a killed one would), then resumed.
      writeFileSync(out, `${readFileSync(ref, 'utf8').split('\n').slice(0, 25).join('\n')}\n`);
      const s = await writeScores(input, viaQueue, { out, resume: true });
      expect(s).toMatchObject({ resumedAfterLine: 25, scored: 35 });
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(ref, 'utf8'));
    } finally {
      await worker.close();
    }
  }, 120_000);

  it('stops the run, naming the workers, when every worker fails to build the detector (not a poison line)', async () => {
    const queue = `botlens-test-${randomUUID()}`;
    const failures: string[] = [];
    const worker = await startQueueWorker({
      redis: REDIS!,
      queue,
      onFailed: (_id, reason) => failures.push(reason),
    });
    try {
      // A detector state every worker fails to build: a run-level failure, not each line's.
      const poison = { state: { kind: 'heuristic', version: 999 } };
      const err = await collect(
        scoreCorpusOnQueue(syntheticCorpus(3), {
          redis: REDIS!,
          queue,
          detector: poison,
          attempts: 2,
          batchSize: 3,
        }),
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'WORKER_DETECTOR_FAILED',
        message: expect.stringMatching(/version/),
      });
      // 1 batch job, failed once (no retry, no line-by-line split).
      expect(failures).toHaveLength(1);
    } finally {
      await worker.close();
    }
  }, 120_000);

  it('rejects a line that is not valid UTF-8 itself: no job carries it (an older worker would score U+FFFD)', async () => {
    const queue = `botlens-test-${randomUUID()}`;
    const file = join(mkdtempSync(join(tmpdir(), 'botlens-q-utf8-')), 'corpus.jsonl');
    const [a, b] = syntheticCorpus(2);
    const bad = Buffer.from(
      JSON.stringify({ id: 'bad', target: 'x', messages: [{ speaker: 'x', text: 'caf_' }] }),
    );
    bad[bad.indexOf('_')] = 0xe9; // latin-1 é: not UTF-8
    writeFileSync(file, Buffer.concat([Buffer.from(`${a}\n`), bad, Buffer.from(`\n${b}\n`)]));
    const worker = await startQueueWorker({ redis: REDIS!, queue });
    try {
      const local = await collect(scoreCorpus(file, { detector: HEURISTIC, threads: 0 }));
      const got = await collect(
        scoreCorpusOnQueue(file, { redis: REDIS!, queue, detector: HEURISTIC, batchSize: 3 }),
      );
      expect(got).toEqual(local);
      expect(got.map((o) => ('reject' in o ? 'reject' : 'record'))).toEqual(['record', 'reject', 'record']);
      const { Queue } = await import('bullmq');
      const reader = new Queue(queue, { connection: { url: REDIS!, maxRetriesPerRequest: null } });
      try {
        const sent = (await reader.getJobs(['completed', 'failed', 'waiting', 'active'])).flatMap(
          (j) => j.data.lines,
        );
        expect(sent.map((l: { line: number }) => l.line).sort()).toEqual([1, 3]);
      } finally {
        await reader.close();
      }
    } finally {
      await worker.close();
    }
  }, 120_000);

  it('carries limits and truncate to the workers with every job: a 600-message line scores as in this thread', async () => {
    const queue = `botlens-test-${randomUUID()}`;
    const long = JSON.stringify({
      id: 'long',
      target: 'target',
      messages: Array.from({ length: 600 }, (_, i) => ({
        speaker: i % 2 ? 'target' : 'other',
        text: i % 2 ? `Hello ! I like to read books . ${i}` : `so what about ${i}?`,
      })),
    });
    const lines = [long, ...syntheticCorpus(5)];
    const worker = await startQueueWorker({ redis: REDIS!, queue });
    try {
      for (const opts of [{}, { limits: { maxMessages: 1000 } }, { truncate: true }]) {
        const local = await collect(scoreCorpus(lines, { detector: HEURISTIC, threads: 0, ...opts }));
        const got = await collect(
          scoreCorpusOnQueue(lines, { redis: REDIS!, queue, detector: HEURISTIC, batchSize: 2, ...opts }),
        );
        expect(got).toEqual(local);
        expect('record' in got[0]!, JSON.stringify(opts)).toBe(Object.keys(opts).length > 0);
      }
      // A worker of a release before per-run limits reads no limits in its jobs: what a run with limits stores
      // is a detector such a worker cannot build (it fails the job), so it never scores those lines under the
      // default limits. Without limits the detector is stored as before (old workers keep working).
      const { Queue } = await import('bullmq');
      const reader = new Queue(queue, { connection: { url: REDIS!, maxRetriesPerRequest: null } });
      const client = (await reader.client) as unknown as {
        keys(pattern: string): Promise<string[]>;
        get(key: string): Promise<string | null>;
      };
      try {
        const stored = (await Promise.all(
          (
            await client.keys(`botlens:${queue}:detector:*`)
          ).map(async (k) => JSON.parse((await client.get(k))!)),
        )) as Record<string, unknown>[];
        // One key per stored content: the two runs with limits share one (the limits travel with the jobs).
        expect(stored.filter((d) => d['requires'] === 'run-limits')).toHaveLength(1);
        expect(stored.filter((d) => 'ensemble' in d)).toHaveLength(1);
        for (const d of stored.filter((x) => x['requires'] === 'run-limits'))
          await expect(buildScoringDetector(d as never)).rejects.toThrow(
            /give \{ ensemble \}, \{ state \} or \{ file \}/,
          );
      } finally {
        await reader.close();
      }
    } finally {
      await worker.close();
    }
  }, 120_000);
});
