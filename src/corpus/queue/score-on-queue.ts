import type { Job, Queue } from 'bullmq';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import { transcriptByteCap } from '../../data/input-byte-cap.js';
import type { CorpusLine, CorpusSource } from '../../data/read-lines.js';
import type { TranscriptLimitOptions } from '../../data/transcript-limits.js';
import { TRANSCRIPT_LIMIT_OPTION_KEYS } from '../../data/transcript-limits.js';
import { BotlensError } from '../../errors/botlens-error.js';
import { sendableScoringDetector } from '../build-detector.js';
import { checkCount } from '../check-count.js';
import { corpusLineLimits } from '../line-limits.js';
import { refuseUnfittedScoringDetector, type UnfittedCheckSetting } from '../refuse-unfitted.js';
import { type BatchScorer, runBatches } from '../score-corpus.js';
import type { ScoreOutcome, ScoringDetector } from '../types.js';
import { detectorTypes } from './detector-types.js';
import {
  checkQueueName,
  checkRedisUrl,
  DEFAULT_QUEUE,
  detectorKey,
  hideRedisSecrets,
  loadBullmq,
  QUEUE_CONNECTION_OPTION_KEYS,
  type QueueConnectionOptions,
  redactRedisUrl,
  runLevelFailure,
  type ScoreJobData,
  storedDetector,
} from './queue-settings.js';
import { probeRedis, REDIS_PROBE_ATTEMPTS, REDIS_PROBE_TIMEOUT } from './redis-probe.js';

/**
 * Options for {@link scoreCorpusOnQueue}. `limits` and `truncate` travel with every job, so each worker reads
 * its lines as {@link scoreCorpus} does (a worker from a release without them applies the defaults).
 */
export interface ScoreOnQueueOptions extends QueueConnectionOptions, TranscriptLimitOptions {
  /**
   * What to score with. A `{ file }` is read here and sent as its state with its `options` (a relative `modelDir`
   * made absolute: a folder the workers must have), so workers need no copy of it and apply what a local run does.
   */
  detector: ScoringDetector;
  /**
   * Lines per job.
   * @defaultValue 16
   */
  batchSize?: number;
  /**
   * Jobs in flight at once (bounds memory and how far ahead of the output the queue runs).
   * @defaultValue 64
   */
  window?: number;
  /**
   * Attempts per job when it throws (retried with exponential backoff), before it is failed.
   * @defaultValue 3
   */
  attempts?: number;
  /**
   * Include each detection's evidence in its record.
   * @defaultValue false
   */
  evidence?: boolean;
  /**
   * Skip input lines numbered up to and including this (resume).
   * @defaultValue 0
   */
  afterLine?: number;
  /** Called with the bytes of a file or stream source read so far. */
  onBytes?: (bytes: number) => void;
}

/** What {@link QueueRun.withdraw} did with the jobs of a run that stopped early. */
export interface QueueWithdrawal {
  /** Jobs of this run removed from the queue before a worker took them. */
  removed: number;
  /** Jobs of this run still in the queue: being scored by a worker, or Redis did not answer in time. */
  remaining: number;
}

/** A queue run as the CLI sees it once it has started (see {@link QueueRunSetting}). */
export interface QueueRun {
  /** Stops the run: removes its jobs that no worker has taken yet (bounded in time) and says how many. */
  withdraw(): Promise<QueueWithdrawal>;
}

/**
 * Internal settings of {@link scoreCorpusOnQueueWith}, which only the CLI gives.
 *
 * @internal
 */
export interface QueueRunSetting extends UnfittedCheckSetting {
  /** Called once the run is connected, with what stops it (the CLI's Ctrl-C handler). */
  onRun?: (run: QueueRun) => void;
  /**
   * Called once when {@link QueueRunSetting.noWorkerAfterMs} have passed since the first job was sent and no worker
   * has taken any job of this run (none connected, most likely); the run keeps waiting.
   */
  onNoWorker?: (waitedMs: number) => void;
  /**
   * How long to wait for a worker to take a job before `onNoWorker`, in ms.
   * @defaultValue {@link NO_WORKER_NOTE_AFTER} (10 s)
   */
  noWorkerAfterMs?: number;
}

/** How long a queue run waits for a worker to take its first job before it says none has, in ms. @internal */
export const NO_WORKER_NOTE_AFTER = 10_000;

/** How long withdrawing a stopped run's jobs may take, in ms. */
const WITHDRAW_TIMEOUT = 5000;

/** How long closing the run's Redis connections may take before they are dropped, in ms. */
const CLOSE_TIMEOUT = 2000;

/** How often a run looks whether its Redis connections are up, in ms. */
const OUTAGE_CHECK_INTERVAL = 250;

/**
 * How often a run looks whether Redis still holds its stored detector and its jobs in flight, in ms: a Redis that
 * restarts without its data (or evicts or loses keys) within the outage limit answers again, but the results the
 * run waits for can never come.
 */
const LOSS_CHECK_INTERVAL = 2000;

/** `promise`, or undefined once `ms` have passed; the timer does not outlive it. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What of a run Redis no longer holds (its stored detector, or one of its jobs in flight: missing, or another
 * job under its id), or undefined when it holds all of it.
 */
async function runDataLost(
  client: Awaited<Queue['client']>,
  queue: Queue,
  detectorKey: string,
  jobs: Job[],
): Promise<string | undefined> {
  const [stored, ...stamps] = await Promise.all([
    // runCommand calls the client's own command (EXISTS: the stored detector may be large to GET).
    client.runCommand('exists', [detectorKey]) as Promise<number>,
    ...jobs.map((j) => client.hget(queue.toKey(j.id!), 'timestamp')),
  ]);
  if (stored === 0) return 'its stored detector';
  const gone = jobs.findIndex((j, i) => stamps[i] !== String(j.timestamp));
  return gone < 0 ? undefined : `job ${jobs[gone]!.id}`;
}

const SCORE_ON_QUEUE_OPTION_KEYS: OptionKeys<ScoreOnQueueOptions> = {
  ...TRANSCRIPT_LIMIT_OPTION_KEYS,
  ...QUEUE_CONNECTION_OPTION_KEYS,
  detector: true,
  batchSize: true,
  window: true,
  attempts: true,
  evidence: true,
  afterLine: true,
  onBytes: true,
};

/**
 * Scores a JSONL corpus through a BullMQ queue on Redis: batches become jobs that `botlens worker` processes
 * (see {@link startQueueWorker}) on any number of machines, and the outcomes come back in input order, exactly
 * as from {@link scoreCorpus}. A batch whose job fails for good (it threw on every attempt, or its workers
 * died more than `maxStalledCount` times) is split and re-queued line by line; a line that still fails alone
 * (a poison transcript) becomes a reject naming the failure. Needs at least one running worker.
 *
 * @param source - a file path, a stream, or lines
 * @param options - see {@link ScoreOnQueueOptions}
 * @throws MissingDependencyError when `bullmq` is not installed
 * @throws InvalidOptionsError before the corpus is read or Redis is reached, for an `ensemble` that cannot score
 *   until it is fitted (as {@link scoreCorpus} does), a `redis` that is not a `redis://` or `rediss://` URL, or a
 *   bad queue name
 * @throws BotlensError with code `REDIS_UNREACHABLE` when Redis cannot be reached, or refuses the credentials, at
 *   start (3 attempts of `connectTimeout` each), or when it stops answering mid-run for as long (3 times
 *   `connectTimeout`: the run stops, naming the URL; the outcomes yielded so far stand, and its jobs stay in the
 *   queue), or when Redis no longer holds the run's stored detector or a job in flight (a restart without its
 *   data: checked every 2 s); with code `WORKER_DETECTOR_FAILED` when the workers cannot build
 *   the detector, or have one of its types registered in another `stateVersion` than here (the run stops; its
 *   jobs not taken yet are removed, as when the caller stops reading early)
 * @example
 * ```ts
 * for await (const o of scoreCorpusOnQueue('corpus.jsonl', { redis: 'redis://127.0.0.1:6379', detector })) {
 *   if ('record' in o) console.log(o.record.id, o.record.score);
 * }
 * ```
 */
export function scoreCorpusOnQueue(
  source: CorpusSource,
  options: ScoreOnQueueOptions,
): AsyncGenerator<ScoreOutcome> {
  refuseUnknownKeys(options, SCORE_ON_QUEUE_OPTION_KEYS, 'the options of scoreCorpusOnQueue()');
  return scoreCorpusOnQueueWith(source, options, { unfittedChecked: false });
}

/**
 * {@link scoreCorpusOnQueue}, for the CLI, which checked its detector already (`unfittedChecked: true`).
 *
 * @param source - a file path, a stream, or lines
 * @param options - see {@link ScoreOnQueueOptions}
 * @param setting - whether the detector was checked already
 * @internal
 */
export async function* scoreCorpusOnQueueWith(
  source: CorpusSource,
  options: ScoreOnQueueOptions,
  setting: QueueRunSetting,
): AsyncGenerator<ScoreOutcome> {
  const batchSize = checkCount('batchSize', options.batchSize, 16);
  const window = checkCount('window', options.window, 64);
  const attempts = checkCount('attempts', options.attempts, 3);
  const afterLine = checkCount('afterLine', options.afterLine, 0, 0);
  const evidence = options.evidence ?? false;
  const limits = corpusLineLimits(options);
  const redis = checkRedisUrl(options.redis);
  const name = checkQueueName(options.queue ?? DEFAULT_QUEUE);
  const connectTimeout = checkCount('connectTimeout', options.connectTimeout, REDIS_PROBE_TIMEOUT, 1);
  // The queue's workers load their own models: the check's are given back at once.
  await (await refuseUnfittedScoringDetector(options.detector, setting))();
  // Built from what a worker thread would build from (the same load options), read here once.
  const stored = storedDetector(await sendableScoringDetector(options.detector), limits);
  const guarded = 'requires' in stored;
  const types = detectorTypes(stored);
  const { Queue, QueueEvents } = await loadBullmq();
  // Bounded: an unreachable Redis or refused credentials fail here, not in an endless wait for results.
  await probeRedis(redis, connectTimeout);
  const connection = { url: redis, maxRetriesPerRequest: null };
  const queue = new Queue<ScoreJobData, ScoreOutcome[]>(name, { connection });
  const events = new QueueEvents(name, { connection });
  // Connection errors are retried by the client (and reported by the start check above and the outage watch
  // below); without a listener they would crash the process, printing the client's command (the AUTH password
  // included).
  let lastError: string | undefined;
  const onError = (err: Error): void => {
    lastError = hideRedisSecrets(err.message, redis);
  };
  queue.on('error', onError);
  events.on('error', onError);
  /** Closes both connections, bounded: a Redis that is gone cannot answer a graceful close. */
  const closeConnections = async (): Promise<void> => {
    const closed = await within(
      Promise.allSettled([queue.close(), events.close()]).then(() => true),
      CLOSE_TIMEOUT,
    );
    if (!closed) await Promise.allSettled([queue.disconnect(), events.disconnect()]);
  };
  // Every job in flight waits on these emitters (a listener each).
  queue.setMaxListeners(window * 4 + 10);
  events.setMaxListeners(window * 4 + 10);
  let key: string;
  try {
    await events.waitUntilReady();
    const k = detectorKey(name, stored);
    key = k.key;
    await (await queue.client).set(key, k.json, { EX: 7 * 24 * 3600 });
  } catch (err) {
    await closeConnections();
    throw err;
  }

  /** This run's jobs not finished yet, by id: what a stopped run withdraws. */
  const pending = new Map<string, Job<ScoreJobData, ScoreOutcome[]>>();
  /** Jobs being added: a run stopped meanwhile withdraws them too once Redis has them. */
  const adding = new Set<Promise<Job<ScoreJobData, ScoreOutcome[]>>>();
  /** Why the run stopped (withdrawn, or its workers cannot build the detector); then no job is sent. */
  let stopped: Error | undefined;
  let stop!: (why: Error) => void;
  const stopping = new Promise<never>((_, reject) => {
    stop = (why) => {
      stopped ??= why;
      reject(stopped);
    };
  });
  stopping.catch(() => undefined);

  /** Set while Redis does not answer: since when, in ms (`performance.now()`). */
  let downSince: number | undefined;
  const withdraw = async (): Promise<QueueWithdrawal> => {
    stop(new BotlensError('ABORTED', 'The queue run was stopped.'));
    const jobs = [...pending.values()];
    pending.clear();
    const late = [...adding];
    let removed = 0;
    let remaining = jobs.length + late.length;
    const removeJob = async (j: Job<ScoreJobData, ScoreOutcome[]>): Promise<void> => {
      await j.remove();
      removed++;
    };
    const removals = Promise.allSettled([
      ...jobs.map(removeJob),
      // A job still being added is removed once it is in the queue (or is not there at all if the add failed).
      ...late.map(async (p) => {
        const j = await p.catch(() => undefined);
        if (j === undefined) remaining--;
        else await removeJob(j);
      }),
    ]);
    await within(removals, WITHDRAW_TIMEOUT);
    return { removed, remaining: remaining - removed };
  };
  setting.onRun?.({ withdraw });

  // Mid-run, a Redis that stops answering stops the run once it has been gone for as long as the start check
  // waits, instead of leaving the run waiting for results that cannot come (the client retries for ever).
  const outageLimit = REDIS_PROBE_ATTEMPTS * connectTimeout;
  const clients = await Promise.all([queue.client, events.client]);
  const watch = setInterval(() => {
    if (clients.every((c) => c.status === 'ready')) {
      downSince = undefined;
      return;
    }
    downSince ??= performance.now();
    if (performance.now() - downSince < outageLimit) return;
    clearInterval(watch);
    stop(
      new BotlensError(
        'REDIS_UNREACHABLE',
        `Lost Redis at ${redactRedisUrl(redis)} mid-run: no answer for ${(outageLimit / 1000).toFixed(1)} s${lastError === undefined ? '' : ` (the last error: ${lastError})`}. The run stopped; the outcomes before this stand, and its jobs not scored yet stay in the queue. Check that Redis runs there and is reachable, then run the same score command again with --resume.`,
      ),
    );
  }, OUTAGE_CHECK_INTERVAL);
  watch.unref();
  let checkingLoss = false;
  // Mid-run, a Redis that lost the run's data (restarted without saving it, evicted or deleted keys) answers
  // again, but the jobs the run waits on are gone: the run stops instead of waiting for ever.
  const lossWatch = setInterval(() => {
    if (stopped || downSince !== undefined || checkingLoss) return;
    checkingLoss = true;
    runDataLost(clients[0], queue, key, [...pending.values()])
      .then((lost) => {
        if (lost === undefined || stopped) return;
        clearInterval(lossWatch);
        stop(
          new BotlensError(
            'REDIS_UNREACHABLE',
            `Redis at ${redactRedisUrl(redis)} lost this run's data mid-run (${lost} is gone: Redis restarted without saving it, evicted it or it was deleted), so the results the run waits for cannot come. The run stopped; the outcomes before this stand. Check that Redis keeps its data (persistence on, no eviction of botlens or bull keys), then run the same score command again with --resume.`,
          ),
        );
      })
      // A failed look is the outage watch's to report.
      .catch(() => undefined)
      .finally(() => {
        checkingLoss = false;
      });
  }, LOSS_CHECK_INTERVAL);
  lossWatch.unref();

  // No worker connected looks like a hang: once a job has waited this long untaken, the caller is told (once).
  let taken = false;
  let noWorkerTimer: NodeJS.Timeout | undefined;
  const onTaken = (): void => {
    taken = true;
    clearTimeout(noWorkerTimer);
  };
  events.on('active', onTaken);
  events.on('completed', onTaken);
  events.on('failed', onTaken);
  const startNoWorkerTimer = (): void => {
    const onNoWorker = setting.onNoWorker;
    if (onNoWorker === undefined || taken || noWorkerTimer !== undefined) return;
    const after = setting.noWorkerAfterMs ?? NO_WORKER_NOTE_AFTER;
    noWorkerTimer = setTimeout(() => {
      if (!taken && !stopped) onNoWorker(after);
    }, after);
    noWorkerTimer.unref();
  };

  const run = async (lines: CorpusLine[]): Promise<ScoreOutcome[]> => {
    if (stopped) throw stopped;
    startNoWorkerTimer();
    const added = queue.add(
      'score',
      { detectorKey: key, lines, evidence, limits, detectorTypes: types },
      {
        attempts,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
    adding.add(added);
    let job: Job<ScoreJobData, ScoreOutcome[]>;
    try {
      // Raced with a stop: an add waits for a Redis that is gone (the stop's withdraw removes it if it lands).
      job = await Promise.race([added, stopping]);
    } finally {
      adding.delete(added);
    }
    if (stopped) {
      await job.remove().catch(() => undefined);
      throw stopped;
    }
    pending.set(job.id!, job);
    try {
      return await Promise.race([job.waitUntilFinished(events), stopping]);
    } finally {
      pending.delete(job.id!);
    }
  };
  const score = async (lines: CorpusLine[]): Promise<ScoreOutcome[]> => {
    try {
      return await run(lines);
    } catch (err) {
      if (stopped) throw stopped;
      const failure = err instanceof Error ? err.message : String(err);
      // The workers cannot build the detector (or are too old for this run): every job would fail the same way,
      // so the run stops with that, rather than blaming each line.
      const runLevel = runLevelFailure(failure, guarded);
      if (runLevel) {
        stop(runLevel);
        throw runLevel;
      }
      if (lines.length === 1) {
        const l = lines[0]!;
        return [{ line: l.line, reject: { line: l.line, reason: `job failed: ${failure}` } }];
      }
      // One bad transcript should not reject its neighbours: retry the batch line by line.
      const single = await Promise.all(lines.map((l) => score([l])));
      return single.flat();
    }
  };
  /**
   * Rejects here the lines that are not valid UTF-8 and sends the others: a worker of an older release reads no
   * `invalid` mark and would score the replacement characters in their place.
   */
  const scoreValid = async (lines: CorpusLine[]): Promise<ScoreOutcome[]> => {
    if (lines.every((l) => l.invalid === undefined)) return score(lines);
    const sent = lines.filter((l) => l.invalid === undefined);
    const scored = new Map((sent.length > 0 ? await score(sent) : []).map((o) => [o.line, o]));
    return lines.map((l) =>
      l.invalid !== undefined
        ? { line: l.line, reject: { line: l.line, reason: l.invalid } }
        : scored.get(l.line)!,
    );
  };
  const scorer: BatchScorer = {
    window,
    score: scoreValid,
    abandon: async () => {
      // Redis is gone: nothing can be removed (the error says the jobs stay in the queue).
      if (downSince !== undefined) {
        stop(new BotlensError('ABORTED', 'The queue run was stopped.'));
        return;
      }
      await withdraw();
    },
    close: async () => {
      clearInterval(watch);
      clearInterval(lossWatch);
      clearTimeout(noWorkerTimer);
      await closeConnections();
    },
  };
  yield* runBatches(source, scorer, {
    batchSize,
    afterLine,
    // A line is capped as a transcript file is, under the run's limits: a longer one is rejected unread.
    maxLineBytes: transcriptByteCap(limits),
    ...(options.onBytes && { onBytes: options.onBytes }),
  });
}
