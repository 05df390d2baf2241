import { readFile } from 'node:fs/promises';
import type { TranscriptLimitOptions } from '../../data/transcript-limits.js';
import { BotlensError } from '../../errors/botlens-error.js';
import { checkCount } from '../check-count.js';
import { corpusLineLimits } from '../line-limits.js';
import type { CorpusSource } from '../read-lines.js';
import { refuseUnfittedScoringDetector, type UnfittedCheckSetting } from '../refuse-unfitted.js';
import { type BatchScorer, runBatches } from '../score-corpus.js';
import type { CorpusLine, ScoreOutcome, ScoringDetector } from '../types.js';
import {
  DEFAULT_QUEUE,
  detectorKey,
  loadBullmq,
  type QueueConnectionOptions,
  type ScoreJobData,
  storedDetector,
} from './queue-settings.js';

/**
 * Options for {@link scoreCorpusOnQueue}. `limits` and `truncate` travel with every job, so each worker reads
 * its lines as {@link scoreCorpus} does (a worker from a release without them applies the defaults).
 */
export interface ScoreOnQueueOptions extends QueueConnectionOptions, TranscriptLimitOptions {
  /** What to score with. A `{ file }` is read here and sent as its state, so workers need no copy of it. */
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

async function portable(detector: ScoringDetector): Promise<ScoringDetector> {
  if (!('file' in detector)) return detector;
  try {
    return { state: JSON.parse(await readFile(detector.file, 'utf8')) };
  } catch (cause) {
    throw new BotlensError('READ_FAILED', `Cannot read the saved detector ${detector.file}.`, { cause });
  }
}

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
 *   until it is fitted (as {@link scoreCorpus} does)
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
  setting: UnfittedCheckSetting,
): AsyncGenerator<ScoreOutcome> {
  const batchSize = checkCount('batchSize', options.batchSize, 16);
  const window = checkCount('window', options.window, 64);
  const attempts = checkCount('attempts', options.attempts, 3);
  const afterLine = checkCount('afterLine', options.afterLine, 0, 0);
  const evidence = options.evidence ?? false;
  const limits = corpusLineLimits(options);
  // The queue's workers load their own models: the check's are given back at once.
  await (await refuseUnfittedScoringDetector(options.detector, setting))();
  const name = options.queue ?? DEFAULT_QUEUE;
  const { Queue, QueueEvents } = await loadBullmq();
  const connection = { url: options.redis, maxRetriesPerRequest: null };
  const queue = new Queue<ScoreJobData, ScoreOutcome[]>(name, { connection });
  const events = new QueueEvents(name, { connection });
  // Every job in flight waits on these emitters (a listener each).
  queue.setMaxListeners(window * 4 + 10);
  events.setMaxListeners(window * 4 + 10);
  let key: string;
  try {
    const stored = detectorKey(name, storedDetector(await portable(options.detector), limits));
    key = stored.key;
    await (await queue.client).set(key, stored.json, { EX: 7 * 24 * 3600 });
    await events.waitUntilReady();
  } catch (err) {
    await Promise.allSettled([queue.close(), events.close()]);
    throw err;
  }

  const run = async (lines: CorpusLine[]): Promise<ScoreOutcome[]> => {
    const job = await queue.add(
      'score',
      { detectorKey: key, lines, evidence, limits },
      {
        attempts,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
    return job.waitUntilFinished(events);
  };
  const score = async (lines: CorpusLine[]): Promise<ScoreOutcome[]> => {
    try {
      return await run(lines);
    } catch (err) {
      const failure = err instanceof Error ? err.message : String(err);
      // What a worker of a release before per-run limits says of the guarded detector (see storedDetector).
      const reason =
        Object.keys(limits).length > 0 && failure.includes('give { ensemble }, { state } or { file }')
          ? `${failure} (a worker of a botlens release older than this one cannot apply this run's transcript limits or truncation: upgrade the workers)`
          : failure;
      if (lines.length === 1) {
        const l = lines[0]!;
        return [{ line: l.line, reject: { line: l.line, reason: `job failed: ${reason}` } }];
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
    close: async () => {
      await Promise.allSettled([queue.close(), events.close()]);
    },
  };
  yield* runBatches(source, scorer, {
    batchSize,
    afterLine,
    ...(options.onBytes && { onBytes: options.onBytes }),
  });
}
