/**
 * The worker-thread side of {@link createWorkerPool}: each worker builds its own detector from the service config
 * (so each loads its own models) and runs detections posted to it, off the service's event loop.
 * @internal
 * @module
 */
import { workerData } from 'node:worker_threads';
import type { Detection, Detector } from '../core/detector.js';
import { detectTimeline, type TimelinePoint } from '../core/timeline.js';
import type { Transcript } from '../core/transcript.js';
import { type ValidationLimits, validateTranscript } from '../core/validate.js';
import type { ServiceConfig } from './config.js';
import { detectorFromConfig } from './detector-from-config.js';

/** What the pool posts to a worker. */
export type WorkerTask =
  | { kind: 'detect'; transcript: Transcript; timeline: boolean }
  | { kind: 'batch'; transcripts: Transcript[] };

/** What the pool gives each worker at start. */
export interface WorkerSetup {
  config: ServiceConfig;
  limits: ValidationLimits;
}

const setup = workerData as WorkerSetup;
const detector: Promise<Detector> = detectorFromConfig(setup.config);
// A failed build is reported by each task, never as an unhandled rejection.
detector.catch(() => {});

/** Runs one task; the transcripts were validated by the service and are validated again here (cheap). */
export default async function run(
  task: WorkerTask,
): Promise<Detection | (Detection & { timeline: TimelinePoint[] }) | Detection[]> {
  const d = await detector;
  if (task.kind === 'batch') {
    const ts = task.transcripts.map((t) => validateTranscript(t, setup.limits));
    return d.detectBatch ? d.detectBatch(ts) : Promise.all(ts.map((t) => d.detect(t)));
  }
  const t = validateTranscript(task.transcript, setup.limits);
  const result = await d.detect(t);
  return task.timeline ? { ...result, timeline: await detectTimeline(d, t) } : result;
}
