/**
 * `botlens worker` sent SIGTERM while its Redis is down stops within seconds, saying in one line that the job it
 * held goes to another worker once its lock expires, and exits 1: it used to wait for ever inside its close (for
 * the job's result to reach a Redis that is gone). A real worker process holding a real job, and a private
 * redis-server killed under it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scoreCorpusOnQueue } from '../../src/corpus/queue/score-on-queue.js';
import { syntheticCorpus } from '../corpus/corpus-fixture.js';
import { HAS_REDIS_SERVER, startRedis } from '../helpers/private-redis.js';
import { killChildrenAfterEach, startWorkerProcess } from '../helpers/worker-process.js';
import './register-slow-detector.js';

const track = killChildrenAfterEach();

/** Resolves once `check` holds (checked every 50 ms), or throws after `ms`. */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (await check()) return;
  throw new Error(`${what} within ${ms} ms`);
}

describe.skipIf(!HAS_REDIS_SERVER)('botlens worker stopped while Redis is down', () => {
  it('exits 1 within seconds with one line on what becomes of the job it held', async () => {
    const redis = await startRedis();
    track(redis.server);
    const queue = `botlens-test-stop-${randomUUID()}`;
    const worker = await startWorkerProcess(
      ['--redis', redis.url, '--queue', queue, '--lock-duration', '5000'],
      { imports: ['./test/queue/register-slow-detector.ts'], env: { BOTLENS_TEST_SLOW_MS: '4000' } },
    );
    let stderr = '';
    worker.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const exited = new Promise<number | null>((ok) => worker.on('exit', (code) => ok(code)));
    const run = (async () => {
      const lines = scoreCorpusOnQueue(syntheticCorpus(1), {
        redis: redis.url,
        queue,
        detector: { ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'slow' }] } },
        batchSize: 1,
      });
      for await (const _ of lines) {
        // the run ends when Redis goes
      }
    })().catch(() => undefined);
    const { Queue } = await import('bullmq');
    const q = new Queue(queue, { connection: { url: redis.url } });
    try {
      await until(async () => (await q.getActiveCount()) === 1, 30_000, 'the worker took no job');
    } finally {
      await q.close();
    }
    redis.server.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const stopped = Date.now();
    worker.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise((ok) => setTimeout(() => ok('still running'), 20_000)),
    ]);
    expect(code, stderr).toBe(1);
    expect(Date.now() - stopped).toBeLessThan(10_000);
    expect(stderr).toContain('botlens worker: finishing the active job and stopping\n');
    expect(stderr.split('\n').filter((l) => l.startsWith('botlens: '))).toEqual([
      expect.stringMatching(
        /^botlens: Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(3 attempts; the last: .*ECONNREFUSED.*\) while the worker was stopping, so it stopped without handing back the jobs it held: BullMQ gives each to another worker once its lock expires \(5000 ms after it was last renewed\), or fails it and reports it to its producer when it has stalled more than 1 time\(s\)\.$/,
      ),
    ]);
    await Promise.race([run, new Promise((r) => setTimeout(r, 15_000))]);
  }, 90_000);
});
