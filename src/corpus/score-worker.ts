// Worker-thread entry of scoreCorpus (run by piscina): builds the detector once per thread, scores batches.
import { workerData } from 'piscina';
import type { Detector } from '../core/detector.js';
import type { CorpusLine } from '../data/read-lines.js';
import type { TranscriptLimitOptions } from '../data/transcript-limits.js';
import { buildScoringDetector, THREAD_BUILD_FAILURE } from './build-detector.js';
import { scoreLines } from './score-line.js';
import type { ScoreOutcome, ScoringDetector } from './types.js';

/** What every thread of the pool gets once (piscina `workerData`). */
export interface ScoreWorkerData {
  detector: ScoringDetector;
  evidence: boolean;
  /** The run's transcript limits and truncation (plain data; absent in data from an older release). */
  limits?: TranscriptLimitOptions;
}

const data = workerData as ScoreWorkerData;
let detector: Promise<Detector> | undefined;

/** Scores one batch of lines (piscina calls the default export). */
export default async function scoreTask(lines: CorpusLine[]): Promise<ScoreOutcome[]> {
  detector ??= buildScoringDetector(data.detector).catch((err: unknown) => {
    // Only the message crosses back to the main thread: marked, so it reports a run-level failure.
    throw new Error(`${THREAD_BUILD_FAILURE}${err instanceof Error ? err.message : String(err)}`);
  });
  return scoreLines(await detector, lines, data.evidence, data.limits ?? {});
}
