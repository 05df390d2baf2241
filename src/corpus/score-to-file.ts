import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeValue } from '../core/describe-value.js';
import { MemberFailureTally } from '../ensemble/member-failure-tally.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { lastCompleteLine, OrderedAppender } from './output-file.js';
import { linesWithMemberErrors, rescoreFailedRecords, rescoreTempPath } from './rescore-failed.js';
import type { ScoreOutcome, ScoreRecord } from './types.js';

/** Options for {@link writeScores}. */
export interface WriteScoresOptions {
  /** The scores file (JSONL, one record per scored line). */
  out: string;
  /**
   * The rejects file (JSONL, `{ line, reason }` per invalid line).
   * @defaultValue `<out>.rejects.jsonl`
   */
  rejects?: string;
  /**
   * Continue an interrupted run: keep both files, cut a partial last line, and score only the lines after the
   * last one written, and again the lines whose record holds a member's error (a run in which a member failed:
   * their records are replaced in place, the file renamed over whole). Without it, an existing non-empty `out` is
   * an error (nothing is overwritten).
   * @defaultValue false
   */
  resume?: boolean;
  /**
   * `fail`: stop at the first invalid line (written nowhere, so a resumed run starts with it); `skip`: write it to the rejects file and go on.
   * @defaultValue 'fail'
   */
  onInvalid?: 'skip' | 'fail';
  /** Called after each line with the lines done in this run and the input bytes read. */
  onProgress?: (progress: { done: number; bytes: number }) => void;
}

/**
 * An ensemble member that failed on some lines of a run, in a {@link ScoreSummary}. The scores of those lines were
 * combined from the other members; each line's record keeps the member's error in its `members`.
 *
 * @example
 * ```ts
 * const f: MemberFailures = { detector: 'nli', lines: 50, firstLine: 1, firstError: 'Failed to load model ...' };
 * ```
 */
export interface MemberFailures {
  /** The member's name. */
  detector: string;
  /** How many lines scored in this run it failed on. */
  lines: number;
  /** The first input line it failed on. */
  firstLine: number;
  /** Its error message on that line. */
  firstError: string;
}

/** What a run did. */
export interface ScoreSummary {
  /** Lines scored in this run. */
  scored: number;
  /**
   * Of those, the lines scored again because their record held a member's error (a resume, after a run in which a
   * member failed): their new records replaced the old ones in place.
   */
  rescored: number;
  /**
   * The members that failed on at least one line scored in this run, in the order they first failed (empty when
   * every member ran on every line). Such lines are still written, scored from the other members.
   */
  failedMembers: MemberFailures[];
  /** Invalid lines written to the rejects file in this run. */
  rejected: number;
  /** The run continued after this input line (0 for a fresh run). */
  resumedAfterLine: number;
  /** The last input line handled (scored or rejected). */
  lastLine: number;
  /** Wall time of this run. */
  elapsedMs: number;
  /** Lines (scored + rejected) per second in this run. */
  perSecond: number;
  /** Absolute paths written. */
  out: string;
  /** Absolute path of the rejects file. */
  rejects: string;
}

/** True when the ascending `sorted` holds `value`. */
function sortedHas(sorted: readonly number[], value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Counts the members that failed in `record`. */
function countFailedMembers(record: ScoreRecord, failures: MemberFailureTally): void {
  for (const m of record.members) if (m.error !== undefined) failures.add(m.detector, m.error, record.line);
}

/**
 * The output files of {@link writeScores}, checked before anything is scored: three different files (scores,
 * rejects, input), and no non-empty scores file unless resuming (nothing is overwritten). The CLI checks them
 * before it loads a model or draws a bar; `writeScores` checks them again.
 *
 * @param input - the corpus path
 * @param options - `out`, `rejects`, `resume`, `onInvalid`
 * @returns the absolute paths of the scores and rejects files
 * @throws InvalidOptionsError when an output is the input, `out` exists without `resume`, or `onInvalid` is neither
 *   `skip` nor `fail`
 * @internal
 */
export function checkScoreOutputs(
  input: string,
  options: Pick<WriteScoresOptions, 'out' | 'rejects' | 'resume' | 'onInvalid'>,
): { out: string; rejects: string } {
  const out = resolve(options.out);
  const rejects = resolve(options.rejects ?? `${options.out}.rejects.jsonl`);
  const onInvalid = options.onInvalid ?? 'fail';
  if (onInvalid !== 'skip' && onInvalid !== 'fail')
    throw new InvalidOptionsError('onInvalid', `expected "skip" or "fail", got ${describeValue(onInvalid)}`);
  const inputPath = resolve(input);
  if (out === inputPath || rejects === inputPath || out === rejects || rescoreTempPath(out) === inputPath)
    throw new InvalidOptionsError('out', 'the scores, rejects and input files must be three different files');
  if (!options.resume && existsSync(out) && statSync(out).size > 0) {
    throw new InvalidOptionsError(
      'out',
      `${options.out} already exists: continue it with --resume (resume: true) or remove it`,
    );
  }
  return { out, rejects };
}

/**
 * Writes a scorer's outcomes to a scores file and a rejects file with append-and-resume semantics: lines are
 * appended in input order (each file a prefix of the run at any moment), so a killed run leaves at most a
 * partial last line, which `resume` cuts before continuing after the last complete one: no line is lost or
 * written twice. Both files are synced at the end. Members that failed on a line (their error is in the record)
 * are counted in the summary's `failedMembers`; deciding what a failure means is the caller's. A resume scores
 * those lines again first (once the member is fixed, the file ends as an uninterrupted run would have written it):
 * the scores file is rewritten beside itself with their new records and renamed over the old one, so a run killed
 * meanwhile leaves it whole.
 *
 * @param input - the corpus path (checked not to be an output)
 * @param outcomes - starts the scorer after a given input line, reporting bytes read; `wanted`, when given, says
 *   which of the lines after `afterLine` are needed (a resume that scores failed lines again): a scorer may skip the
 *   others (the CLI's does), and the outcomes of those it scores anyway are ignored
 * @param options - see {@link WriteScoresOptions}
 * @throws InvalidOptionsError when an output is the input, or `out` exists without `resume`
 * @throws BotlensError `INVALID_LINE` at the first invalid line with `onInvalid: 'fail'`
 */
export async function writeScores(
  input: string,
  outcomes: (
    afterLine: number,
    onBytes: (bytes: number) => void,
    wanted?: (line: number) => boolean,
  ) => AsyncIterable<ScoreOutcome>,
  options: WriteScoresOptions,
): Promise<ScoreSummary> {
  const { out, rejects } = checkScoreOutputs(input, options);
  const onInvalid = options.onInvalid ?? 'fail';
  const afterLine = options.resume
    ? Math.max(await lastCompleteLine(out), await lastCompleteLine(rejects))
    : 0;
  // A resume scores again the lines a member failed on (their records hold its error), then goes on after afterLine.
  const again = options.resume ? await linesWithMemberErrors(out) : [];
  const wanted = again.length > 0 ? (line: number) => line > afterLine || sortedHas(again, line) : undefined;
  const started = performance.now();
  let scored = 0;
  let rescored = 0;
  let rejected = 0;
  let lastLine = afterLine;
  let bytes = 0;
  const failures = new MemberFailureTally();
  const run = outcomes(
    again.length > 0 ? again[0]! - 1 : afterLine,
    (b) => {
      bytes = b;
    },
    wanted,
  )[Symbol.asyncIterator]();
  const next = async (): Promise<ScoreOutcome | undefined> => {
    const r = await run.next();
    return r.done ? undefined : r.value;
  };
  let files: OrderedAppender | undefined;
  try {
    let first: ScoreOutcome | undefined;
    if (again.length > 0) {
      first = await rescoreFailedRecords(out, run, (record, isNew) => {
        countFailedMembers(record, failures); // a record kept as it was still carries its member's error
        if (!isNew) return;
        scored++;
        rescored++;
        options.onProgress?.({ done: scored + rejected, bytes });
      });
    }
    files = await OrderedAppender.open(out, rejects, !options.resume);
    for (let o = first ?? (await next()); o !== undefined; o = await next()) {
      if (o.line <= afterLine) continue; // a scorer that scored more than the lines asked for
      lastLine = o.line;
      if ('record' in o) {
        scored++;
        countFailedMembers(o.record, failures);
        await files.push(0, o.record);
      } else {
        // Stopping: the line is not written anywhere, so --resume after fixing it starts with it.
        if (onInvalid === 'fail') {
          throw new BotlensError(
            'INVALID_LINE',
            `${input}:${o.line}: ${o.reject.reason}. Fix the line and continue with --resume, or pass --on-invalid skip to write invalid lines to ${rejects} and go on.`,
          );
        }
        rejected++;
        await files.push(1, o.reject);
      }
      options.onProgress?.({ done: scored + rejected, bytes });
    }
  } finally {
    await files?.close();
    await run.return?.(); // stops the scorer when writing stopped early
  }
  const elapsedMs = performance.now() - started;
  return {
    scored,
    rescored,
    failedMembers: failures.entries().map((f) => ({
      detector: f.detector,
      lines: f.count,
      firstLine: f.first,
      firstError: f.firstError,
    })),
    rejected,
    resumedAfterLine: afterLine,
    lastLine,
    elapsedMs,
    perSecond: ((scored + rejected) * 1000) / Math.max(elapsedMs, 1),
    out,
    rejects,
  };
}
