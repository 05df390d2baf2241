/**
 * Scoring whole corpora: `botlens/corpus`. Streams JSONL of any size in input order on worker threads
 * ({@link scoreCorpus}), or through a BullMQ queue on Redis shared by any number of workers
 * ({@link scoreCorpusOnQueue}, {@link startQueueWorker}); {@link writeScores} writes the outcomes to files that
 * a killed run can resume.
 *
 * @module botlens/corpus
 */

export type { CorpusSource } from '../data/read-lines.js';
export { FailedLinesError } from './failed-lines-error.js';
export type { QueueConnectionOptions } from './queue/queue-settings.js';
export { type QueueWorker, type QueueWorkerOptions, startQueueWorker } from './queue/queue-worker.js';
export { type ScoreOnQueueOptions, scoreCorpusOnQueue } from './queue/score-on-queue.js';
export { type ScoreCorpusOptions, scoreCorpus } from './score-corpus.js';
export {
  type MemberFailures,
  type ScoreSummary,
  type WriteScoresOptions,
  writeScores,
} from './score-to-file.js';
export type {
  RejectRecord,
  ScoreMember,
  ScoreOutcome,
  ScoreRecord,
  ScoringDetector,
} from './types.js';
