import { hostname } from 'node:os';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import { BotlensError } from '../../errors/botlens-error.js';
import { DetectorCache } from '../build-detector.js';
import { checkCount } from '../check-count.js';
import { scoreLines } from '../score-line.js';
import type { ScoreOutcome } from '../types.js';
import { detectorTypes } from './detector-types.js';
import {
  buildFailureMessage,
  checkQueueName,
  checkRedisUrl,
  DEFAULT_QUEUE,
  hideRedisSecrets,
  loadBullmq,
  QUEUE_CONNECTION_OPTION_KEYS,
  type QueueConnectionOptions,
  type ScoreJobData,
  unwrapStoredDetector,
} from './queue-settings.js';
import { probeRedis, REDIS_PROBE_TIMEOUT } from './redis-probe.js';

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
  /**
   * Stops taking jobs, finishes the active ones, disconnects and disposes the detectors. While it waits, it checks
   * Redis every second: when Redis stops answering (3 attempts to reach it, as at start: about 2 s when it refuses
   * connections, up to 3 × `connectTimeout` plus 1.5 s when its host does not answer), it stops waiting, disposes
   * the detectors and rejects, so a worker never hangs on a Redis that is gone.
   *
   * @throws BotlensError `REDIS_UNREACHABLE` when Redis stopped answering before the worker could stop cleanly:
   *   the jobs it held were not handed back, and BullMQ gives each to another worker once its lock expires
   *   (`lockDuration`), or fails it after `maxStalledCount` stalls. The Redis client may still hold timers for up
   *   to `stalledInterval`: a process that is ending can exit at once (`botlens worker` does, exit 1).
   */
  close(): Promise<void>;
}

/** A Redis client, as {@link closeWhileRedisAnswers} stops it. */
interface Disconnectable {
  disconnect(): void;
}

/** How often a closing worker checks that Redis still answers, in ms. */
const CLOSE_CHECK_INTERVAL = 1000;

/**
 * Closes `worker` as BullMQ does (the active jobs finish first), checking Redis every {@link CLOSE_CHECK_INTERVAL}
 * ms meanwhile: BullMQ's close waits for ever on a Redis that is gone (its commands are queued for a reconnect
 * that never comes), so once Redis stops answering this stops waiting and throws.
 */
async function closeWhileRedisAnswers(
  worker: { close(): Promise<void>; client: Promise<Disconnectable> },
  redis: string,
  connectTimeout: number,
  settings: { lockDuration: number; maxStalledCount: number },
): Promise<void> {
  let closed = false;
  const closing = worker.close().then(() => {
    closed = true;
  });
  closing.catch(() => undefined); // thrown below when it is awaited
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise((tick) => (timer = setTimeout(tick, CLOSE_CHECK_INTERVAL)))]);
    clearTimeout(timer);
    if (closed) return;
    try {
      await probeRedis(redis, connectTimeout);
    } catch (err) {
      if (closed) return;
      // Stop both clients' reconnecting (the blocking one is protected in BullMQ's types: read by name, and
      // skipped should a release rename it); BullMQ's own close stays pending, holding at most its stalled-job timer.
      const blocking = (worker as { blockingConnection?: { client?: Promise<Disconnectable> } })
        .blockingConnection?.client;
      for (const client of [worker.client, blocking])
        void client?.then((c) => c.disconnect()).catch(() => undefined);
      const why = err instanceof Error ? err.message.replace(/: check .*$/s, '') : String(err);
      throw new BotlensError(
        'REDIS_UNREACHABLE',
        `${why} while the worker was stopping, so it stopped without handing back the jobs it held: BullMQ gives each to another worker once its lock expires (${settings.lockDuration} ms after it was last renewed), or fails it and reports it to its producer when it has stalled more than ${settings.maxStalledCount} time(s).`,
        { cause: err },
      );
    }
  }
}

const QUEUE_WORKER_OPTION_KEYS: OptionKeys<QueueWorkerOptions> = {
  ...QUEUE_CONNECTION_OPTION_KEYS,
  concurrency: true,
  lockDuration: true,
  stalledInterval: true,
  maxStalledCount: true,
  onFailed: true,
  onError: true,
};

/**
 * Starts a BullMQ worker that scores batches of corpus lines queued by {@link scoreCorpusOnQueue} (any number of
 * workers, on any number of machines, share a queue). A worker killed mid-job loses nothing: its lock expires
 * and the job is run again elsewhere; a job that stalls more than `maxStalledCount` times, or throws on every
 * attempt, is failed and reported to the producer instead of being retried forever.
 *
 * @param options - see {@link QueueWorkerOptions}
 * A worker that cannot build a run's detector (a detector type registered in the producer only, a missing
 * package or model) fails that run's jobs at once, without retries, with a `WORKER_DETECTOR_FAILED` message that
 * the producer stops the run with.
 *
 * @throws MissingDependencyError when `bullmq` is not installed
 * @throws InvalidOptionsError for a `redis` that is not a `redis://` or `rediss://` URL, or a bad queue name
 * @throws BotlensError with code `REDIS_UNREACHABLE` when Redis cannot be reached, or refuses the credentials,
 *   within `connectTimeout`
 * @example
 * ```ts
 * const worker = await startQueueWorker({ redis: 'redis://127.0.0.1:6379' });
 * process.on('SIGTERM', () => void worker.close());
 * ```
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  refuseUnknownKeys(options, QUEUE_WORKER_OPTION_KEYS, 'the options of startQueueWorker()');
  const concurrency = checkCount('concurrency', options.concurrency, 1);
  const lockDuration = checkCount('lockDuration', options.lockDuration, 30_000, 100);
  const stalledInterval = checkCount('stalledInterval', options.stalledInterval, 30_000, 100);
  const maxStalledCount = checkCount('maxStalledCount', options.maxStalledCount, 1, 0);
  const connectTimeout = checkCount('connectTimeout', options.connectTimeout, REDIS_PROBE_TIMEOUT, 1);
  const redis = checkRedisUrl(options.redis);
  const queueName = checkQueueName(options.queue ?? DEFAULT_QUEUE);
  const { Worker, UnrecoverableError } = await loadBullmq();
  // Bounded: an unreachable Redis or refused credentials fail here, not in an endless retry loop.
  await probeRedis(redis, connectTimeout);
  const cache = new DetectorCache();
  const me = `${hostname()}:${process.pid}`;
  /** The detector types of each stored detector built here, as registered here (see {@link detectorTypes}). */
  const typesHere = new Map<string, string[]>();
  /** Failures of reading the detector from Redis: retried, unlike a detector that cannot be built. */
  const redisFailures = new WeakSet<object>();
  const worker = new Worker<ScoreJobData, ScoreOutcome[]>(
    queueName,
    async (job) => {
      const { detectorKey, lines, evidence, limits, detectorTypes: sent } = job.data;
      let detector: Awaited<ReturnType<DetectorCache['get']>>;
      try {
        detector = await cache.get(detectorKey, async () => {
          let json: string | null;
          try {
            json = await (await worker.client).get(detectorKey);
          } catch (err) {
            if (typeof err === 'object' && err !== null) redisFailures.add(err);
            throw err;
          }
          if (json === null) {
            throw new BotlensError(
              'DETECTOR_MISSING',
              `The detector ${detectorKey} is not in Redis (expired or deleted): start the score run again.`,
            );
          }
          const stored = JSON.parse(json) as Parameters<typeof unwrapStoredDetector>[0];
          const built = unwrapStoredDetector(stored);
          if (typesHere.size >= 100) typesHere.clear();
          typesHere.set(detectorKey, detectorTypes(stored));
          return built;
        });
        const mine = typesHere.get(detectorKey);
        // A type registered here in another version than in the producer would score differently.
        if (sent !== undefined && mine !== undefined && sent.join(', ') !== mine.join(', ')) {
          throw new BotlensError(
            'WORKER_DETECTOR_FAILED',
            `its detector types are registered here in other versions: the producer has ${sent.join(', ') || 'none'}, this worker ${mine.join(', ') || 'none'}.`,
          );
        }
      } catch (err) {
        if (typeof err === 'object' && err !== null && redisFailures.has(err)) throw err;
        // The same failure awaits every job of the run: fail this one at once (no retry), and the producer stops
        // the run with this message instead of rejecting its lines one by one.
        throw new UnrecoverableError(buildFailureMessage(err, me));
      }
      return scoreLines(detector, lines, evidence, limits ?? {});
    },
    {
      connection: { url: redis, maxRetriesPerRequest: null },
      concurrency,
      // Recorded on every job it runs (BullMQ's `processedBy`), so an operator can tell which machine and
      // process holds or ran a job.
      name: me,
      lockDuration,
      stalledInterval,
      maxStalledCount,
      autorun: true,
    },
  );
  worker.on('failed', (job, err) => options.onFailed?.(job?.id, hideRedisSecrets(err.message, redis)));
  // Connection errors are retried by ioredis; without a listener they would crash the process (printing the
  // client's command, the AUTH password included).
  worker.on('error', (err) => {
    err.message = hideRedisSecrets(err.message, redis);
    options.onError?.(err);
  });
  return {
    ready: async () => {
      await worker.waitUntilReady();
    },
    close: async () => {
      try {
        await closeWhileRedisAnswers(worker, redis, connectTimeout, { lockDuration, maxStalledCount });
      } finally {
        await cache.dispose();
      }
    },
  };
}
