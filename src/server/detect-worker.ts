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
import { memberDeadlineDetect } from '../ensemble/member-deadline.js';
import type { ServiceConfig } from './config.js';
import { detectorFromConfig } from './detector-from-config.js';

/** What the pool posts to a worker. */
export type WorkerTask =
  | {
      kind: 'detect';
      transcript: Transcript;
      timeline: boolean;
      /** The warm-up's bound on the optional members (no `onLate`: it cannot cross threads). */
      memberDeadline?: { ms: number; members: readonly string[]; what: string };
    }
  | { kind: 'batch'; transcripts: Transcript[] };

/** What the pool gives each worker at start. */
export interface WorkerSetup {
  config: ServiceConfig;
  limits: ValidationLimits;
}

const setup = workerData as WorkerSetup;

/** Runs one task; the transcripts were validated by the service and are validated again here (cheap). */
async function run(
  d: Detector,
  task: WorkerTask,
): Promise<Detection | (Detection & { timeline: TimelinePoint[] }) | Detection[]> {
  if (task.kind === 'batch') {
    const ts = task.transcripts.map((t) => validateTranscript(t, setup.limits));
    return d.detectBatch ? d.detectBatch(ts) : Promise.all(ts.map((t) => d.detect(t)));
  }
  const t = validateTranscript(task.transcript, setup.limits);
  const bounded = task.memberDeadline && memberDeadlineDetect(d);
  const result = bounded ? await bounded(t, task.memberDeadline!) : await d.detect(t);
  return task.timeline
    ? { ...result, timeline: await detectTimeline(d, t, { limits: setup.limits }) }
    : result;
}

/**
 * The task handler, once this thread's detector is built. Piscina awaits a default export that is a promise
 * before it reports the thread ready, so building the detector (and loading its models) is never charged to a
 * task: a thread that replaces one stopped at a request's deadline is not stopped in turn at the next deadline
 * for the time it takes to start. A failed build is reported by each task, never as an unhandled rejection.
 */
export default detectorFromConfig(setup.config).then(
  (d) => (task: WorkerTask) => run(d, task),
  (err: unknown) => (): never => {
    throw err;
  },
);
