import { hostname } from 'node:os';
import { BotlensError } from '../../errors/botlens-error.js';
import { DetectorCache } from '../build-detector.js';
import { checkCount } from '../check-count.js';
import { scoreLines } from '../score-line.js';
import type { ScoreOutcome } from '../types.js';
import {
  DEFAULT_QUEUE,
  loadBullmq,
  type QueueConnectionOptions,
  type ScoreJobData,
  unwrapStoredDetector,
} from './queue-settings.js';

/** Options for {@link startQueueWorker}. */
export interface QueueWorkerOptions extends QueueConnectionOptions {
  /**
   * Jobs this process runs at once (scoring is CPU-bound: run one worker process per core instead of raising this).
   * @defaultValue 1
   */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal, in ms. A worker that dies stops renewing; after this its job
   * counts as stalled and goes back to the queue for another worker.
   * @defaultValue 30000
   */
  lockDuration?: number;
  /**
   * How often this worker looks for stalled jobs (of any worker), in ms.
   * @defaultValue 30000
   */
  stalledInterval?: number;
  /**
   * Times a job may stall (its worker died) before it is failed and reported instead of retried again.
   * @defaultValue 1
   */
  maxStalledCount?: number;
  /** Called when a job fails (it may still be retried). */
  onFailed?: (jobId: string | undefined, reason: string) => void;
  /** Called on a connection or worker error (the connection is retried). */
  onError?: (error: Error) => void;
}

/** A running queue worker. */
export interface QueueWorker {
  /** Resolves once connected and waiting for jobs. */
  ready(): Promise<void>;
  /** Stops taking jobs, finishes the active ones, disconnects and disposes the detectors. */
  close(): Promise<void>;
}

/**
 * Starts a BullMQ worker that scores batches of corpus lines queued by {@link scoreCorpusOnQueue} (any number of
 * workers, on any number of machines, share a queue). A worker killed mid-job loses nothing: its lock expires
 * and the job is run again elsewhere; a job that stalls more than `maxStalledCount` times, or throws on every
 * attempt, is failed and reported to the producer instead of being retried forever.
 *
 * @param options - see {@link QueueWorkerOptions}
 * @throws MissingDependencyError when `bullmq` is not installed
 * @example
 * ```ts
 * const worker = await startQueueWorker({ redis: 'redis://127.0.0.1:6379' });
 * process.on('SIGTERM', () => void worker.close());
 * ```
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const concurrency = checkCount('concurrency', options.concurrency, 1);
  const lockDuration = checkCount('lockDuration', options.lockDuration, 30_000, 100);
  const stalledInterval = checkCount('stalledInterval', options.stalledInterval, 30_000, 100);
  const maxStalledCount = checkCount('maxStalledCount', options.maxStalledCount, 1, 0);
  const { Worker } = await loadBullmq();
  const cache = new DetectorCache();
  const worker = new Worker<ScoreJobData, ScoreOutcome[]>(
    options.queue ?? DEFAULT_QUEUE,
    async (job) => {
      const { detectorKey, lines, evidence, limits } = job.data;
      const detector = await cache.get(detectorKey, async () => {
        const json = await (await worker.client).get(detectorKey);
        if (json === null) {
          throw new BotlensError(
            'DETECTOR_MISSING',
            `The detector ${detectorKey} is not in Redis (expired or deleted): start the score run again.`,
          );
        }
        return unwrapStoredDetector(JSON.parse(json) as Parameters<typeof unwrapStoredDetector>[0]);
      });
      return scoreLines(detector, lines, evidence, limits ?? {});
    },
    {
      connection: { url: options.redis, maxRetriesPerRequest: null },
      concurrency,
      // Recorded on every job it runs (BullMQ's `processedBy`), so an operator can tell which machine and
      // process holds or ran a job.
      name: `${hostname()}:${process.pid}`,
      lockDuration,
      stalledInterval,
      maxStalledCount,
      autorun: true,
    },
  );
  worker.on('failed', (job, err) => options.onFailed?.(job?.id, err.message));
  // Connection errors are retried by ioredis; without a listener they would crash the process.
  worker.on('error', (err) => options.onError?.(err));
  return {
    ready: async () => {
      await worker.waitUntilReady();
    },
    close: async () => {
      await worker.close();
      await cache.dispose();
    },
  };
}
