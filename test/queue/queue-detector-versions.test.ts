/**
 * A queue worker that has one of the run's detector types registered in another version than the producer
 * (another `stateVersion`: an updated plugin on one machine) refuses the run's jobs, and the run stops saying so,
 * instead of scoring differently from a local run. Real `botlens worker` child processes, real redis-server.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { scoreCorpusOnQueue } from '../../src/corpus/queue/score-on-queue.js';
import type { ScoreOutcome, ScoringDetector } from '../../src/corpus/types.js';
import { syntheticCorpus } from '../corpus/corpus-fixture.js';
import '../fixtures/register-versioned-detector.js';
import { describeWithRedis, TEST_REDIS as REDIS, startWorkerProcess } from '../helpers/worker-process.js';

/** Starts `botlens worker` with the `versioned` type registered in `version`; resolves once it is ready. */
function startWorker(queue: string, version: number): Promise<ChildProcess> {
  return startWorkerProcess(['--redis', REDIS!, '--queue', queue], {
    imports: ['./test/fixtures/register-versioned-detector.ts'],
    env: { BOTLENS_TEST_VERSIONED: String(version) },
  });
}

const VERSIONED: ScoringDetector = {
  ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'versioned' }] },
};

async function collect(it: AsyncIterable<ScoreOutcome>): Promise<ScoreOutcome[]> {
  const out: ScoreOutcome[] = [];
  for await (const o of it) out.push(o);
  return out;
}

describeWithRedis('queue workers with a detector type registered in another version', () => {
  it('refuse the run (WORKER_DETECTOR_FAILED naming both versions); workers with the same version score it', async () => {
    const queue = `botlens-test-versions-${randomUUID()}`;
    const { Queue } = await import('bullmq');
    const q = new Queue(queue, { connection: { url: REDIS! } });
    try {
      const lines = syntheticCorpus(6);
      const other = await startWorker(queue, 2);
      const refused = await collect(
        scoreCorpusOnQueue(lines, { redis: REDIS!, queue, detector: VERSIONED, batchSize: 3 }),
      ).catch((e: unknown) => e);
      expect(refused).toMatchObject({
        code: 'WORKER_DETECTOR_FAILED',
        message: expect.stringMatching(/the producer has versioned@1, this worker versioned@2.*--resume/s),
      });
      other.kill('SIGKILL');
      await startWorker(queue, 1);
      const scored = await collect(
        scoreCorpusOnQueue(lines, { redis: REDIS!, queue, detector: VERSIONED, batchSize: 3 }),
      );
      // Version 1 scores 0.1 (version 2 would score 0.2).
      for (const o of scored) expect('record' in o && o.record.score).toBeCloseTo(0.1, 9);
      expect(scored).toHaveLength(lines.length);
    } finally {
      await q.obliterate({ force: true });
      await q.close();
    }
  }, 120_000);
});
