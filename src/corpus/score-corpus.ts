import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { transcriptByteCap } from '../data/input-byte-cap.js';
import { type CorpusLine, type CorpusSource, readCorpusLines } from '../data/read-lines.js';
import type { TranscriptLimitOptions } from '../data/transcript-limits.js';
import { TRANSCRIPT_LIMIT_OPTION_KEYS } from '../data/transcript-limits.js';
import { BotlensError } from '../errors/botlens-error.js';
import { buildScoringDetector, THREAD_BUILD_FAILURE } from './build-detector.js';
import { checkCount } from './check-count.js';
import { corpusLineLimits } from './line-limits.js';
import { refuseUnfittedScoringDetector, type UnfittedCheckSetting } from './refuse-unfitted.js';
import { scoreLines } from './score-line.js';
import type { ScoreWorkerData } from './score-worker.js';
import type { ScoreOutcome, ScoringDetector } from './types.js';

/**
 * Options for {@link scoreCorpus}. `limits` and `truncate` apply to every line as `readTranscriptsJsonl` applies
 * them (raise `limits.maxMessages` for long chats; a longer line is a reject unless `truncate`), in this thread
 * and in every worker thread alike.
 */
export interface ScoreCorpusOptions extends TranscriptLimitOptions {
  /** What to score with (plain data: each worker thread builds its own copy). */
  detector: ScoringDetector;
  /**
   * Worker threads; `0` scores in the calling thread.
   * @defaultValue one per core (`os.availableParallelism()`)
   */
  threads?: number;
  /**
   * Lines per task sent to a thread.
   * @defaultValue 32
   */
  batchSize?: number;
  /**
   * Include each detection's evidence in its record.
   * @defaultValue false
   */
  evidence?: boolean;
  /**
   * Skip input lines numbered up to and including this (how a resumed run continues).
   * @defaultValue 0
   */
  afterLine?: number;
  /** Called with the bytes of a file or stream source read so far. */
  onBytes?: (bytes: number) => void;
}

/** Scores batches somewhere: in this thread, in worker threads, or on a queue. */
export interface BatchScorer {
  /** Scores one batch; outcomes in the batch's order. */
  score(lines: CorpusLine[]): Promise<ScoreOutcome[]>;
  /** How many batches to keep in flight. */
  readonly window: number;
  /**
   * Called when the run stops before its end (the consumer stopped reading, or a batch threw), before the
   * batches in flight are awaited: drops the work not started yet, and settles their promises.
   */
  abandon?(): Promise<void>;
  /** Frees threads and connections. */
  close(): Promise<void>;
}

/**
 * Runs batches of `source` through `scorer`, at most `scorer.window` at once, and yields the outcomes in input
 * order. Memory stays bounded by the window, whatever the corpus size.
 *
 * @param source - the corpus
 * @param scorer - where batches run
 * @param options - batch size, resume point, progress
 */
export async function* runBatches(
  source: CorpusSource,
  scorer: BatchScorer,
  options: { batchSize: number; afterLine: number; maxLineBytes: number; onBytes?: (bytes: number) => void },
): AsyncGenerator<ScoreOutcome> {
  const inFlight: Promise<ScoreOutcome[]>[] = [];
  let batch: CorpusLine[] = [];
  let finished = false;
  const send = (): void => {
    const p = scorer.score(batch);
    p.catch(() => undefined); // observed when its turn comes; never an unhandled rejection meanwhile
    inFlight.push(p);
    batch = [];
  };
  try {
    for await (const l of readCorpusLines(source, options.afterLine, options.onBytes, options.maxLineBytes)) {
      batch.push(l);
      if (batch.length >= options.batchSize) send();
      while (inFlight.length >= scorer.window) yield* await inFlight.shift()!;
    }
    if (batch.length) send();
    while (inFlight.length) yield* await inFlight.shift()!;
    finished = true;
  } finally {
    if (!finished) await scorer.abandon?.();
    await Promise.allSettled(inFlight);
    await scorer.close();
  }
}

function workerFile(): string {
  // Built layouts (dist/corpus/score-worker.js beside or below the chunk), then the TypeScript source.
  const here = typeof __filename === 'string' ? pathToFileURL(__filename).href : import.meta.url;
  const candidates = [
    './score-worker.js',
    './corpus/score-worker.js',
    '../corpus/score-worker.js',
    './score-worker-dev.mjs',
  ];
  for (const rel of candidates) {
    const p = fileURLToPath(new URL(rel, here));
    if (existsSync(p)) return p;
  }
  throw new BotlensError(
    'WORKER_MISSING',
    `The score worker file is missing next to ${here}: rebuild or reinstall botlens.`,
  );
}

async function threadScorer(
  detector: ScoringDetector,
  threads: number,
  evidence: boolean,
  limits: TranscriptLimitOptions,
): Promise<BatchScorer> {
  if (threads === 0) {
    const built = buildScoringDetector(detector);
    built.catch(() => undefined);
    return {
      window: 1,
      score: async (lines) => scoreLines(await built, lines, evidence, limits),
      close: async () => {
        const d = await built.catch(() => undefined);
        await d?.dispose?.();
      },
    };
  }
  const { Piscina } = await import('piscina');
  const workerData: ScoreWorkerData = { detector, evidence, limits };
  const pool = new Piscina<CorpusLine[], ScoreOutcome[]>({
    filename: pathToFileURL(workerFile()).href,
    minThreads: threads,
    maxThreads: threads,
    workerData,
  });
  return {
    window: threads * 2,
    score: (lines) =>
      pool.run(lines).catch((err: unknown) => {
        const message = err instanceof Error ? err.message : '';
        if (!message.startsWith(THREAD_BUILD_FAILURE)) throw err;
        const reason = message.slice(THREAD_BUILD_FAILURE.length);
        throw new BotlensError(
          'WORKER_DETECTOR_FAILED',
          `The worker threads cannot build the detector: ${reason}${/registerDetector/.test(reason) ? ' (a detector type registered in the main thread only is not there in the worker threads: register it in a module every thread imports, e.g. NODE_OPTIONS="--import ./register.mjs", or score in this thread: --workers 0, threads: 0)' : ''}`,
        );
      }),
    close: () => pool.destroy(),
  };
}

const SCORE_CORPUS_OPTION_KEYS: OptionKeys<ScoreCorpusOptions> = {
  ...TRANSCRIPT_LIMIT_OPTION_KEYS,
  detector: true,
  threads: true,
  batchSize: true,
  evidence: true,
  afterLine: true,
  onBytes: true,
};

/**
 * Scores a JSONL corpus (one transcript per line; `id` and `label` optional) as a stream: yields one
 * {@link ScoreOutcome} per non-blank line, in input order — a record, or a reject for an invalid line. Runs on
 * worker threads (one per core by default) and holds only a bounded window of batches in memory, so any size of
 * corpus works. A detector that throws on a valid record stops the iteration with that error. An `ensemble` that
 * cannot score until it is fitted (`stacking`, or a member such as `partner-contrast` or `embedding`, or a `lora`
 * member whose `model` has no classification head) is refused with InvalidOptionsError before the corpus is read:
 * fit it and pass the file as `{ file }`. A corpus file that cannot be read throws BotlensError `READ_FAILED`.
 *
 * @param source - a file path, a stream, or lines
 * @param options - see {@link ScoreCorpusOptions}
 * @example
 * ```ts
 * for await (const o of scoreCorpus('corpus.jsonl', { detector: { file: 'fitted.json' } })) {
 *   if ('record' in o) console.log(o.record.id, o.record.score);
 *   else console.error(`line ${o.line}: ${o.reject.reason}`);
 * }
 * ```
 */
export function scoreCorpus(source: CorpusSource, options: ScoreCorpusOptions): AsyncGenerator<ScoreOutcome> {
  refuseUnknownKeys(options, SCORE_CORPUS_OPTION_KEYS, 'the options of scoreCorpus()');
  return scoreCorpusWith(source, options, { unfittedChecked: false });
}

/**
 * {@link scoreCorpus}, for the CLI, which checked its detector already (`unfittedChecked: true`).
 *
 * @param source - a file path, a stream, or lines
 * @param options - see {@link ScoreCorpusOptions}
 * @param setting - whether the detector was checked already
 * @internal
 */
export async function* scoreCorpusWith(
  source: CorpusSource,
  options: ScoreCorpusOptions,
  setting: UnfittedCheckSetting,
): AsyncGenerator<ScoreOutcome> {
  const threads = checkCount('threads', options.threads, availableParallelism(), 0);
  const batchSize = checkCount('batchSize', options.batchSize, 32);
  const afterLine = checkCount('afterLine', options.afterLine, 0, 0);
  const limits = corpusLineLimits(options);
  // In this thread, the check's models stay loaded until scoring ends: the detector's own load shares them.
  const releaseChecked = await refuseUnfittedScoringDetector(options.detector, setting);
  try {
    if (threads > 0) await releaseChecked();
    const scorer = await threadScorer(options.detector, threads, options.evidence ?? false, limits);
    yield* runBatches(source, scorer, {
      batchSize,
      afterLine,
      // A line is capped as a transcript file is, under the run's limits: a longer one is rejected unread.
      maxLineBytes: transcriptByteCap(limits),
      ...(options.onBytes && { onBytes: options.onBytes }),
    });
  } finally {
    await releaseChecked();
  }
}
