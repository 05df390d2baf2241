import { createHash } from 'node:crypto';
import { describeValue } from '../../core/describe-value.js';
import { importOptional } from '../../core/optional-import.js';
import { OPTIONAL_NEEDS } from '../../core/optional-needs.js';
import type { OptionKeys } from '../../core/refuse-unknown-keys.js';
import type { TranscriptLimitOptions } from '../../data/transcript-limits.js';
import { BotlensError } from '../../errors/botlens-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import type { ScoringDetector } from '../types.js';

/** Queue settings shared by the producer ({@link scoreCorpusOnQueue}) and the workers ({@link startQueueWorker}). */
export interface QueueConnectionOptions {
  /** Redis URL, e.g. `redis://host:6379` or `redis://:password@host:6379/0` (`rediss://` for TLS). */
  redis: string;
  /**
   * Queue name: producers and workers that share it share the work. 1 to 200 characters, without `:`, blanks
   * or control characters.
   * @defaultValue 'botlens-score'
   */
  queue?: string;
  /**
   * How long each of the 3 attempts to reach Redis at start may take, in ms: an unreachable Redis, or one that
   * refuses the credentials, fails the start with a `REDIS_UNREACHABLE` error (naming the URL without its
   * password) instead of being retried forever. A producer whose Redis stops answering mid-run stops its run with
   * the same error once it has not answered for 3 times this.
   * @defaultValue 3000
   */
  connectTimeout?: number;
}

/** Every key of {@link QueueConnectionOptions}, for the options checks of the queue functions. @internal */
export const QUEUE_CONNECTION_OPTION_KEYS: OptionKeys<QueueConnectionOptions> = {
  redis: true,
  queue: true,
  connectTimeout: true,
};

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
  /**
   * The detector types the run's detector uses, with their versions as the producer has them registered
   * (`heuristic@1`); a worker that has any of them registered in another version refuses the job. Absent in jobs
   * from an older release: not checked.
   */
  detectorTypes?: string[];
}

/** BullMQ, loaded on first use (an optional peer dependency). */
export function loadBullmq(): Promise<typeof import('bullmq')> {
  return importOptional('bullmq', OPTIONAL_NEEDS.queue.feature, () => import('bullmq'));
}

/**
 * What a run stores for its workers when they must apply more than a worker of an older release knows: the
 * detector wrapped so that such a worker cannot build it, and fails the job instead of scoring wrong.
 * - `run-limits`: the run has transcript limits or truncation. A worker of a release before per-run limits reads
 *   no `limits` in its jobs and would score every line under the default 200 messages.
 * - `load-options`: the detector has load options (a threshold, a prior, a model folder...). A worker of a release
 *   before these travelled with the queue would load the saved state with its saved settings.
 *
 * An older worker sees neither `ensemble`, `state` nor `file` and fails the job ("give { ensemble }, { state } or
 * { file }"); a worker that meets a `requires` it does not know fails it saying to upgrade the workers.
 */
interface StoredDetectorGuard {
  requires: 'run-limits' | 'load-options';
  detector: ScoringDetector;
}

/** What a worker of an older release says of a guarded detector (see {@link StoredDetectorGuard}). */
const OLD_WORKER_FAILURE = 'give { ensemble }, { state } or { file }';

/** What a worker says, and the producer recognises, when it cannot build a run's detector: a run-level failure. */
const BUILD_FAILURE = 'A botlens worker cannot build the detector of this run';

/**
 * What to store for a run's workers: `detector` (as {@link sendableScoringDetector} made it), wrapped (see
 * {@link StoredDetectorGuard}) when it has load options or `limits` ask for more.
 */
export function storedDetector(
  detector: ScoringDetector,
  limits: TranscriptLimitOptions,
): ScoringDetector | StoredDetectorGuard {
  if ('options' in detector && detector.options !== undefined && Object.keys(detector.options).length > 0)
    return { requires: 'load-options', detector };
  return Object.keys(limits).length === 0 ? detector : { requires: 'run-limits', detector };
}

/**
 * The detector a worker builds from what {@link storedDetector} stored.
 *
 * @throws BotlensError with code `WORKER_DETECTOR_FAILED` for a guard this release does not know (a producer of a
 *   later release)
 */
export function unwrapStoredDetector(stored: ScoringDetector | StoredDetectorGuard): ScoringDetector {
  if (!('requires' in stored)) return stored;
  if (stored.requires === 'run-limits' || stored.requires === 'load-options') return stored.detector;
  throw new BotlensError(
    'WORKER_DETECTOR_FAILED',
    `${BUILD_FAILURE}: it needs a worker that can apply ${JSON.stringify(String(stored.requires))}, which this botlens release cannot: upgrade the workers to the producer's release.`,
  );
}

/**
 * The message a worker fails a job with when it cannot build the run's detector (the same failure on every job:
 * the producer stops the run with it, see {@link runLevelFailure}).
 *
 * @param cause - what the build threw
 * @param where - which worker (`host:pid`)
 */
export function buildFailureMessage(cause: unknown, where: string): string {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return `${BUILD_FAILURE} (worker ${where}): ${reason.replace(/^A botlens worker cannot build the detector of this run: /, '')} Every worker must be able to build what the producer sends: the same detector types registered (start \`botlens worker\` with the same NODE_OPTIONS=--import ... as the producer), the same optional packages installed, and the models where the fitted file or --model-dir says. Fix the workers, then run the same score command again with --resume.`;
}

/**
 * The run-level error a job's failure stands for, when it is one (the workers cannot build the detector, or are
 * too old for what the run stored); `undefined` for a failure of the job's own lines.
 *
 * @param failure - the job's failure message
 * @param guarded - whether the run stored a guarded detector (see {@link storedDetector})
 */
export function runLevelFailure(failure: string, guarded: boolean): BotlensError | undefined {
  if (failure.startsWith(BUILD_FAILURE)) return new BotlensError('WORKER_DETECTOR_FAILED', failure);
  if (guarded && failure.includes(OLD_WORKER_FAILURE)) {
    return new BotlensError(
      'WORKER_DETECTOR_FAILED',
      `A botlens worker failed the run's jobs with "${failure}": it is of a release older than this one and cannot apply this run's load options (--threshold, --prior, --model-dir...) or transcript limits: upgrade the workers, then run the same score command again with --resume.`,
    );
  }
  return undefined;
}

/**
 * Checks a queue name: BullMQ keeps a queue under `bull:<name>:...` keys, so a name cannot be empty or hold `:`.
 *
 * @param name - the queue name
 * @param option - the option named in the error (the CLI passes `--queue`)
 * @throws InvalidOptionsError naming `option` for an empty name, one over 200 characters, or one with `:`, a
 *   blank or a control character
 */
export function checkQueueName(name: unknown, option = 'queue'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200 || /[:\s\p{Cc}]/u.test(name)) {
    throw new InvalidOptionsError(
      option,
      `got ${describeValue(name)}: give a queue name of 1 to 200 characters without ":", blanks or control characters, e.g. botlens-score (producers and workers that share it share the work)`,
    );
  }
  return name;
}

/**
 * A Redis URL with its password (and user) hidden, to print: `redis://***@host:6379/0`.
 *
 * @param url - a Redis URL as given
 */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.href.replace('//', '//***@');
  } catch {
    // Not a URL: hide whatever sits between "//" and "@".
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * `text` with the password of `url` (and its user) replaced by `***`: for messages of the Redis client, which
 * may quote what it was given.
 *
 * @param text - a message
 * @param url - the Redis URL in use
 */
export function hideRedisSecrets(text: string, url: string): string {
  let out = text.split(url).join(redactRedisUrl(url));
  try {
    const u = new URL(url);
    for (const secret of [u.password, decodeURIComponent(u.password)]) {
      if (secret.length >= 3) out = out.split(secret).join('***');
    }
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}

/**
 * Checks a Redis URL before anything connects: only `redis://` and `rediss://` (TLS) are Redis URLs; anything
 * else would be taken for a Unix socket path by the client, and fail later with a confusing error.
 *
 * @param url - the URL
 * @param option - the option named in the error (the CLI passes `--redis`)
 * @throws InvalidOptionsError naming `option`, with the URL shown without its password
 */
export function checkRedisUrl(url: unknown, option = 'redis'): string {
  let scheme: string | undefined;
  try {
    scheme = typeof url === 'string' ? new URL(url).protocol : undefined;
  } catch {
    scheme = undefined;
  }
  if (scheme !== 'redis:' && scheme !== 'rediss:') {
    const shown = typeof url === 'string' ? JSON.stringify(redactRedisUrl(url)) : describeValue(url);
    throw new InvalidOptionsError(
      option,
      `got ${shown}: give a Redis URL, redis://[:password@]host[:port][/db] (rediss:// for TLS)`,
    );
  }
  return url as string;
}

/** The Redis key under which a detector is stored for the workers: content-addressed, so runs share it. */
export function detectorKey(
  queue: string,
  detector: ScoringDetector | StoredDetectorGuard,
): { key: string; json: string } {
  const json = JSON.stringify(detector);
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 32);
  return { key: `botlens:${queue}:detector:${hash}`, json };
}
