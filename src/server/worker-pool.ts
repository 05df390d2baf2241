import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Detection, DetectOptions, Detector } from '../core/detector.js';
import { importOptional } from '../core/optional-import.js';
import type { TimelinePoint } from '../core/timeline.js';
import type { Transcript } from '../core/transcript.js';
import type { ValidationLimits } from '../core/validate.js';
import { DETECT_WITH_MEMBER_DEADLINE, type DetectWithMemberDeadline } from '../ensemble/member-deadline.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import type { ServiceConfig } from './config.js';
import type { WorkerSetup, WorkerTask } from './detect-worker.js';

/** A detector whose work runs in worker threads; it can also compute a timeline in one hop. */
export interface PooledDetector extends Detector {
  /** `detect` plus the timeline, computed in the worker. */
  detectWithTimeline(t: Transcript, opts?: DetectOptions): Promise<Detection & { timeline: TimelinePoint[] }>;
}

/** True for a detector built by {@link createWorkerPool}. */
export function isPooled(d: Detector): d is PooledDetector {
  return typeof (d as Partial<PooledDetector>).detectWithTimeline === 'function';
}

// The worker entry next to this module (src/, or dist/server/ when this code sits in a dist/ chunk).
const CANDIDATES = ['./detect-worker.js', './server/detect-worker.js', '../server/detect-worker.js'];

function workerEntry(): { url: URL; typescript: boolean } {
  for (const rel of CANDIDATES) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return { url, typescript: false };
  }
  const ts = new URL('./detect-worker-dev.mjs', import.meta.url);
  if (existsSync(fileURLToPath(ts))) return { url: ts, typescript: true };
  throw new BotlensError(
    'WORKER_ENTRY_MISSING',
    'The service worker entry (server/detect-worker.js) is not in this build: set server.workers to 0 or rebuild botlens.',
  );
}

/**
 * Runs the detector a service config describes in `threads` worker threads (piscina), so CPU-bound detection
 * never holds the service's event loop. Each thread builds its own detector and loads its own models (memory
 * grows with `threads`). A task whose signal aborts while running stops its thread, which piscina replaces.
 *
 * @param config - the service config (the `ensemble` or `fitted` part is used)
 * @param options - threads and the transcript limits the service validates with
 * @throws MissingDependencyError when piscina is not installed
 */
export async function createWorkerPool(
  config: ServiceConfig,
  options: { threads: number; limits: ValidationLimits },
): Promise<PooledDetector> {
  const { Piscina } = await importOptional(
    'piscina',
    'Worker threads for the HTTP service (server.workers)',
    () => import('piscina'),
  );
  const entry = workerEntry();
  const workerData: WorkerSetup = { config, limits: options.limits };
  const pool = new Piscina({
    filename: entry.url.href,
    workerData,
    minThreads: options.threads,
    maxThreads: options.threads,
    idleTimeout: 2 ** 31 - 1,
    // Source checkouts (tests, tsx) load the TypeScript entry through a tsx bootstrap.
    ...(entry.typescript && { execArgv: [] }),
  });
  const run = async <T>(task: WorkerTask, signal: AbortSignal | undefined): Promise<T> => {
    try {
      return (await pool.run(task, signal ? { signal } : {})) as T;
    } catch (err) {
      if (signal?.aborted) throw new AbortedError('Detection in a worker thread', { cause: signal.reason });
      throw err;
    }
  };
  const pooled: PooledDetector = {
    name: 'worker-pool',
    detect: (t, o) => run({ kind: 'detect', transcript: t, timeline: false }, o?.signal),
    detectBatch: (ts, o) => run({ kind: 'batch', transcripts: [...ts] }, o?.signal),
    detectWithTimeline: (t, o) => run({ kind: 'detect', transcript: t, timeline: true }, o?.signal),
    dispose: () => pool.destroy(),
  };
  // The warm-up's bound on the optional members, honoured in the worker (its late answers stay there).
  const bounded: DetectWithMemberDeadline = (t, { ms, members, what }) =>
    run({ kind: 'detect', transcript: t, timeline: false, memberDeadline: { ms, members, what } }, undefined);
  Object.defineProperty(pooled, DETECT_WITH_MEMBER_DEADLINE, { value: bounded });
  return pooled;
}
