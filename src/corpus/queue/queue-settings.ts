import { createHash } from 'node:crypto';
import { importOptional } from '../../core/optional-import.js';
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
  return importOptional('bullmq', 'The queue commands (score --redis, worker)', () => import('bullmq'));
}

/** The Redis key under which a detector is stored for the workers: content-addressed, so runs share it. */
export function detectorKey(queue: string, detector: ScoringDetector): { key: string; json: string } {
  const json = JSON.stringify(detector);
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 32);
  return { key: `botlens:${queue}:detector:${hash}`, json };
}
