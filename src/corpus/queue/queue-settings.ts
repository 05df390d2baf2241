import { createHash } from 'node:crypto';
import { importOptional } from '../../core/optional-import.js';
import { OPTIONAL_NEEDS } from '../../core/optional-needs.js';
import type { TranscriptLimitOptions } from '../../data/transcript-limits.js';
import type { ScoringDetector } from '../types.js';

/** Queue settings shared by the producer ({@link scoreCorpusOnQueue}) and the workers ({@link startQueueWorker}). */
export interface QueueConnectionOptions {
  /** Redis URL, e.g. `redis://host:6379` (`rediss://` for TLS). */
  redis: string;
  /**
   * Queue name: producers and workers that share it share the work.
   * @defaultValue 'botlens-score'
   */
  queue?: string;
}

/** Default queue name. */
export const DEFAULT_QUEUE = 'botlens-score';

/** What a queued job carries: a batch of lines and the key of the detector to score them with. */
export interface ScoreJobData {
  /** Redis key holding the {@link ScoringDetector} as JSON (stored once per run, not per job). */
  detectorKey: string;
  /** The lines. */
  lines: { line: number; text: string }[];
  /** Include evidence in the records. */
  evidence: boolean;
  /** The run's transcript limits and truncation (absent in jobs from an older release: the defaults). */
  limits?: TranscriptLimitOptions;
}

/** BullMQ, loaded on first use (an optional peer dependency). */
export function loadBullmq(): Promise<typeof import('bullmq')> {
  return importOptional('bullmq', OPTIONAL_NEEDS.queue.feature, () => import('bullmq'));
}

/**
 * What a run with transcript limits or truncation stores for its workers: the detector wrapped so that a worker
 * of a release before per-run limits cannot build it. Such a worker reads no `limits` in its jobs and would score
 * every line under the default 200 messages (a truncated run's long lines whole, a lowered limit's lines that
 * should be rejects): it fails the job instead ("give { ensemble }, { state } or { file }"), and the run's lines
 * come back rejected, not silently mis-scored.
 */
interface RunLimitsGuard {
  requires: 'run-limits';
  detector: ScoringDetector;
}

/** What to store for a run's workers: `detector`, wrapped (see {@link RunLimitsGuard}) when `limits` ask for more. */
export function storedDetector(
  detector: ScoringDetector,
  limits: TranscriptLimitOptions,
): ScoringDetector | RunLimitsGuard {
  return Object.keys(limits).length === 0 ? detector : { requires: 'run-limits', detector };
}

/** The detector a worker builds from what {@link storedDetector} stored. */
export function unwrapStoredDetector(stored: ScoringDetector | RunLimitsGuard): ScoringDetector {
  return 'requires' in stored && stored.requires === 'run-limits'
    ? stored.detector
    : (stored as ScoringDetector);
}

/** The Redis key under which a detector is stored for the workers: content-addressed, so runs share it. */
export function detectorKey(
  queue: string,
  detector: ScoringDetector | RunLimitsGuard,
): { key: string; json: string } {
  const json = JSON.stringify(detector);
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 32);
  return { key: `botlens:${queue}:detector:${hash}`, json };
}
