import { createReadStream, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseNumberFlag } from '../flags/parse-number.js';
import { STDIN } from './standard-streams.js';

/**
 * The most worker threads `score --workers` takes: above it the flag is a usage error (exit 2). Each thread loads
 * its own detector, and past the cores they only share them: `--workers 1000` on 384 lines took 87 s against 1.3 s
 * with 2 threads, so a larger number is a typo far more often than a plan.
 */
export const MAX_SCORE_WORKERS = 256;

/** The lines scored per task when `--batch-size` is not given (the scorer's own default). */
const DEFAULT_BATCH_SIZE = 32;

/**
 * Parses `--workers`: a whole number from 0 (score in this thread) to {@link MAX_SCORE_WORKERS}.
 *
 * @param value - the flag's value as typed
 * @returns the number, or `undefined` when the flag was not given
 */
export function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return parseNumberFlag(
    '--workers',
    value,
    { min: 0, max: MAX_SCORE_WORKERS, integer: true },
    (v) =>
      `expected a whole number of worker threads from 0 (this thread) to ${MAX_SCORE_WORKERS}, got "${v}" (more threads than cores only share them; leave it out for one per core)`,
  );
}

/**
 * Counts the lines of `file`, stopping once there are more than `limit` (so a large corpus costs at most `limit`
 * lines of reading); `undefined` for what is not a regular file (a pipe cannot be read twice).
 */
async function linesUpTo(file: string, limit: number): Promise<number | undefined> {
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return undefined;
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
    if (lines > limit) return lines;
  }
  return last === 10 ? lines : lines + 1;
}

/**
 * The worker threads `score` starts for `--workers N` (default: one per core): at most one per batch of the corpus
 * (a thread with no batch would only load a detector), with a note on stderr when N is more than the machine's
 * cores.
 *
 * @param corpus - the corpus file, `-` for standard input (not counted: as many threads as asked)
 * @param workers - `--workers` as parsed (`undefined`: the scorer's default, one per core)
 * @param batchSize - `--batch-size` as parsed
 * @param note - where the note goes (standard error)
 * @returns the threads to start (0: score in this thread)
 */
export async function scoreWorkerThreads(
  corpus: string,
  workers: number | undefined,
  batchSize: number | undefined,
  note: (line: string) => void,
): Promise<number> {
  const cores = availableParallelism();
  const wanted = workers ?? cores;
  if (wanted <= 1) return wanted;
  if (workers !== undefined && workers > cores) {
    note(
      `botlens score: --workers ${workers} is more than the ${cores} CPU core(s) here: the threads past ${cores} share the cores, and each loads its own detector\n`,
    );
  }
  const size = batchSize ?? DEFAULT_BATCH_SIZE;
  // Standard input cannot be read twice: its lines are not counted first.
  const lines = corpus === STDIN ? undefined : await linesUpTo(corpus, wanted * size);
  if (lines === undefined) return wanted;
  return Math.min(wanted, Math.max(1, Math.ceil(lines / size)));
}
