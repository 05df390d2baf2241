import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeValue } from '../core/describe-value.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { readCorpusLines } from '../data/read-lines.js';
import { MemberFailureTally } from '../ensemble/member-failure-tally.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { realPathOf } from '../fs/safe-paths.js';
import { checkFailedLines, type FailedLines } from './failed-lines.js';
import { isStreamOutput, lastCompleteLine, OrderedAppender, STDOUT } from './output-file.js';
import type { ScoreOutcome, ScoreRecord } from './types.js';

/** Options for {@link writeScores}. */
export interface WriteScoresOptions {
  /**
   * The scores file (JSONL, one record per scored line), or `-` for standard output. `-` and an existing device or
   * pipe (`/dev/stdout`, a FIFO) are written as a stream: not synced, not resumable (`resume` is refused), and
   * with no rejects file unless `rejects` names one. A new file is created exclusively (a run that finds it created
   * by another run meanwhile fails); an existing empty one is appended to, and before each write and at the end
   * the run checks that the file holds exactly what it wrote, so a second run writing the same file is found and
   * stopped with `WRITE_FAILED` (the one that finds the other's lines first stops before writing any).
   */
  out: string;
  /**
   * The rejects file (JSONL, `{ line, reason }` per invalid line). A stream `out` has none by default, so
   * `onInvalid: 'skip'` needs one named here; with `onInvalid: 'fail'` nothing is written to it.
   * @defaultValue `<out>.rejects.jsonl`; none when `out` is a stream
   */
  rejects?: string;
  /**
   * Continue an interrupted run: keep both files, cut a partial last line, and score only the lines after the
   * last one written. Lines already written whose record holds a member's error are never scored again: see
   * `failedLines`. Without it, an existing non-empty `out` is an error (nothing is overwritten).
   * @defaultValue false
   */
  resume?: boolean;
  /**
   * With `resume`, what to do when `out` already holds lines whose record carries a failed member's error (a run
   * that exited 3): `refuse` throws {@link FailedLinesError} before anything is scored (nothing is changed; fix
   * the member, remove the file and score again); `keep` leaves those lines as they are and goes on after the
   * last line, counting them in the summary's `keptFailed`. A resume never scores them again.
   * @defaultValue 'refuse'
   */
  failedLines?: 'refuse' | 'keep';
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
  /** How many of the lines scored in this run it failed on (lines kept from an earlier run are not counted). */
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
   * Lines written by an earlier run whose record holds a member's error, kept as they were by a resume with
   * `failedLines: 'keep'` (0 otherwise): not counted in `scored` nor in `failedMembers`.
   */
  keptFailed: number;
  /** The first input line of those (0 when there are none). */
  keptFailedFirstLine: number;
  /**
   * The members that failed on at least one line scored in this run, in the order they first failed (empty when
   * every member ran on every line). Such lines are still written, scored from the other members.
   */
  failedMembers: MemberFailures[];
  /**
   * Lines scored in this run whose transcript was cut to its last `maxMessages` messages (`truncate`; each record
   * carries `truncatedFrom`).
   */
  truncated: number;
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
  /** Absolute path of the scores file, or `-` for standard output. */
  out: string;
  /** Absolute path of the rejects file; empty when there is none (a stream `out` without `rejects`). */
  rejects: string;
}

/**
 * The error that stops a run at an invalid line (`onInvalid: 'fail'`), with advice that fits its cause: a line
 * truncation refused (its target's messages all dropped) is scored with a larger `--max-messages`, any other is
 * fixed; either way the run goes on with `--resume` (the line was not written), or `--on-invalid skip` writes such
 * lines aside.
 */
function invalidLineError(
  input: string,
  o: Extract<ScoreOutcome, { reject: unknown }>,
  rejects: string | undefined,
): BotlensError {
  const fix =
    o.cause === 'truncation' ? 'Raise --max-messages so the target keeps a message' : 'Fix the line';
  const where = `${input === STDIN ? '<stdin>' : input}:${o.line}: ${o.reject.reason}.`;
  // Standard input cannot be read again, so a run that read it is not resumed.
  return new BotlensError(
    'INVALID_LINE',
    rejects === undefined
      ? `${where} ${fix} and score again, or pass --on-invalid skip with --rejects to write invalid lines to a file and go on.`
      : input === STDIN
        ? `${where} ${fix} and score again (a corpus read from standard input cannot be resumed: save it to a file to continue with --resume), or pass --on-invalid skip to write invalid lines to ${rejects} and go on.`
        : `${where} ${fix} and continue with --resume, or pass --on-invalid skip to write invalid lines to ${rejects} and go on.`,
  );
}

/** The `input` of {@link writeScores} that means standard input. */
const STDIN = '-';

/** Counts the members that failed in `record`. */
function countFailedMembers(record: ScoreRecord, failures: MemberFailureTally): void {
  for (const m of record.members) if (m.error !== undefined) failures.add(m.detector, m.error, record.line);
}

/** The real path of an output or input, `-` (standard output) kept as it is. */
function realOrStdout(path: string): string {
  return path === STDOUT ? STDOUT : realPathOf(path);
}

/**
 * The output files of {@link writeScores}, checked before anything is scored: three different files (scores,
 * rejects, input, compared by real path so a symlink to the input counts as the input), and no non-empty scores
 * file unless resuming (nothing is overwritten). A stream `out` (`-` for standard output, or a device or pipe:
 * {@link isStreamOutput}) gets no rejects file unless `rejects` names one, which `onInvalid: 'skip'` needs, and
 * cannot be resumed. The CLI checks them before it loads a model or draws a bar; `writeScores` checks them again.
 * The lines holding a member's error are checked apart (`checkFailedLines`, which reads the file).
 *
 * @param input - the corpus path, or `-` for standard input (not compared with the outputs; `resume` is refused)
 * @param options - `out`, `rejects`, `resume`, `onInvalid`, `failedLines`
 * @returns the absolute paths of the scores file (`-` for standard output) and of the rejects file (undefined
 *   when there is none)
 * @throws InvalidOptionsError when an output is the input, `out` exists without `resume`, `onInvalid` is neither
 *   `skip` nor `fail`, `failedLines` neither `refuse` nor `keep`, a stream output meets `resume` or lacks the
 *   rejects file `onInvalid: 'skip'` needs, or `resume` is asked of standard input
 * @internal
 */
export function checkScoreOutputs(
  input: string,
  options: Pick<WriteScoresOptions, 'out' | 'rejects' | 'resume' | 'onInvalid' | 'failedLines'>,
): { out: string; rejects: string | undefined } {
  const stream = isStreamOutput(options.out);
  const out = options.out === STDOUT ? STDOUT : resolve(options.out);
  if (options.rejects === STDOUT)
    throw new InvalidOptionsError(
      'rejects',
      'the rejects cannot go to standard output (the scores may): give a file, or /dev/stderr',
    );
  const rejectsPath = options.rejects ?? (stream ? undefined : `${options.out}.rejects.jsonl`);
  const rejects = rejectsPath === undefined ? undefined : resolve(rejectsPath);
  const onInvalid = options.onInvalid ?? 'fail';
  if (onInvalid !== 'skip' && onInvalid !== 'fail')
    throw new InvalidOptionsError('onInvalid', `expected "skip" or "fail", got ${describeValue(onInvalid)}`);
  const failedLines = options.failedLines ?? 'refuse';
  if (failedLines !== 'refuse' && failedLines !== 'keep')
    throw new InvalidOptionsError(
      'failedLines',
      `expected "refuse" or "keep", got ${describeValue(failedLines)}`,
    );
  // Standard input (-) is no file an output could be; it cannot be read again, so it cannot be resumed.
  if (input === STDIN && options.resume)
    throw new InvalidOptionsError(
      'resume',
      'the corpus is standard input, which cannot be read again to skip the lines already scored: save it to a file and resume with that',
    );
  const [realOut, realInput] = [realOrStdout(out), input === STDIN ? undefined : realPathOf(input)];
  const realRejects = rejects === undefined ? undefined : realPathOf(rejects);
  if (
    (realInput !== undefined && (realOut === realInput || realRejects === realInput)) ||
    realOut === realRejects
  )
    throw new InvalidOptionsError('out', 'the scores, rejects and input files must be three different files');
  if (stream) {
    const what = out === STDOUT ? 'standard output' : `${options.out} (not a regular file)`;
    if (options.resume)
      throw new InvalidOptionsError(
        'resume',
        `the scores go to ${what}, which cannot be resumed: write them to a file`,
      );
    if (rejects === undefined && onInvalid === 'skip')
      throw new InvalidOptionsError(
        'rejects',
        `the scores go to ${what}, so invalid lines have no rejects file beside it: give rejects, or leave onInvalid at "fail"`,
      );
  }
  if (options.resume && rejects !== undefined && isStreamOutput(rejects))
    throw new InvalidOptionsError('resume', `${rejectsPath} is not a regular file, so it cannot be resumed`);
  if (statSync(out, { throwIfNoEntry: false })?.isDirectory())
    throw new InvalidOptionsError('out', `${options.out} is a folder: give the scores file's name`);
  if (!stream && !options.resume && existsSync(out) && statSync(out).size > 0) {
    throw new InvalidOptionsError(
      'out',
      `${options.out} already exists: continue it with resume: true or remove it`,
    );
  }
  return { out, rejects };
}

const WRITE_SCORES_OPTION_KEYS: OptionKeys<WriteScoresOptions> = {
  out: true,
  rejects: true,
  resume: true,
  failedLines: true,
  onInvalid: true,
  onProgress: true,
};

/**
 * Writes a scorer's outcomes to a scores file and a rejects file with append-and-resume semantics: lines are
 * appended in input order (each file a prefix of the run at any moment), so a killed run leaves at most a
 * partial last line, which `resume` cuts before continuing after the last complete one: no line is lost or
 * written twice. Both files are synced at the end. Members that failed on a line (their error is in the record)
 * are counted in the summary's `failedMembers`; deciding what a failure means is the caller's. A resume refuses a
 * scores file that holds such lines unless told to keep them (`failedLines`): it never scores them again, so a
 * silent mix of failed and good lines cannot happen.
 *
 * Limit: a resume does not check that the scores file was written from the same corpus (records carry the line
 * number and `id`, which are not compared with the corpus): resume only with the corpus that started the file.
 *
 * @param input - the corpus path (checked not to be an output), or `-` when the scorer reads standard input
 *   (then `resume` is refused: it cannot be read again)
 * @param outcomes - starts the scorer after a given input line, reporting bytes read
 * @param options - see {@link WriteScoresOptions}
 * @throws InvalidOptionsError when an output is the input, `out` exists without `resume`, or an option is invalid
 * @throws FailedLinesError with `resume` when `out` holds lines with a member's error and `failedLines` is `refuse`
 * @throws BotlensError `READ_FAILED` with `resume` for a damaged line of `out` holding `"error":` (naming file:line),
 *   or when `out` holds results past the last line of the corpus (not the corpus that started the run)
 * @throws BotlensError `INVALID_LINE` at the first invalid line with `onInvalid: 'fail'`
 */
export function writeScores(
  input: string,
  outcomes: (afterLine: number, onBytes: (bytes: number) => void) => AsyncIterable<ScoreOutcome>,
  options: WriteScoresOptions,
): Promise<ScoreSummary> {
  refuseUnknownKeys(options, WRITE_SCORES_OPTION_KEYS, 'the options of writeScores()');
  return writeScoresWith(input, outcomes, options, { failedLinesChecked: undefined });
}

/**
 * Internal settings of {@link writeScoresWith}, which only the CLI gives: a library caller's scores file is always
 * checked.
 *
 * @internal
 */
export interface WriteScoresSettings {
  /**
   * What the CLI's `checkFailedLines` found in `out` with the same policy, before it loaded a model (nothing
   * writes `out` in between): the file is not read a second time to check it again. `undefined`: not checked.
   */
  failedLinesChecked: FailedLines | undefined;
  /**
   * Called once the outputs are open, with a function that ends the writing early for a process about to exit
   * (Ctrl-C, SIGTERM): it writes the lines scored so far, then nothing more, and resolves with how many lines
   * (scored and rejected) this run wrote in all, each whole (`OrderedAppender.halt`).
   */
  onOpen?: (halt: () => Promise<number>) => void;
  /**
   * Rewords an invalid line's reason before it is written to the rejects file: the CLI's remedies in its own terms
   * (`--truncate`, `--max-messages`), as its stderr words them. `undefined`: the library's words.
   */
  rejectReason?: (reason: string) => string;
}

/**
 * {@link writeScores}, for the CLI, which checked the scores file's failed lines already (`failedLinesChecked`).
 *
 * @param input - the corpus path (checked not to be an output), or `-` when the scorer reads standard input
 *   (then `resume` is refused: it cannot be read again)
 * @param outcomes - starts the scorer after a given input line, reporting bytes read
 * @param options - see {@link WriteScoresOptions}
 * @param setting - what the failed-lines check found, when it ran already; who is told the outputs are open
 * @internal
 */
export async function writeScoresWith(
  input: string,
  outcomes: (afterLine: number, onBytes: (bytes: number) => void) => AsyncIterable<ScoreOutcome>,
  options: WriteScoresOptions,
  setting: WriteScoresSettings,
): Promise<ScoreSummary> {
  const { out, rejects } = checkScoreOutputs(input, options);
  const onInvalid = options.onInvalid ?? 'fail';
  // Before anything is scored or cut: a file holding lines a member failed on is refused unless they are kept.
  const kept = options.resume
    ? (setting.failedLinesChecked ?? (await checkFailedLines(out, options.failedLines ?? 'refuse')))
    : { lines: 0, firstLine: 0 };
  const afterLine = options.resume
    ? Math.max(await lastCompleteLine(out), rejects === undefined ? 0 : await lastCompleteLine(rejects))
    : 0;
  const started = performance.now();
  let scored = 0;
  let truncated = 0;
  let rejected = 0;
  let lastLine = afterLine;
  let bytes = 0;
  const failures = new MemberFailureTally();
  const run = outcomes(afterLine, (b) => {
    bytes = b;
  })[Symbol.asyncIterator]();
  const next = async (): Promise<ScoreOutcome | undefined> => {
    const r = await run.next();
    return r.done ? undefined : r.value;
  };
  let files: OrderedAppender | undefined;
  try {
    files = await OrderedAppender.open(out, rejects, !options.resume);
    const opened = files;
    setting.onOpen?.(() => opened.halt());
    for (let o = await next(); o !== undefined; o = await next()) {
      if (o.line <= afterLine) continue; // a scorer that scored more than the lines asked for
      lastLine = o.line;
      if ('record' in o) {
        scored++;
        if (o.record.truncatedFrom !== undefined) truncated++;
        countFailedMembers(o.record, failures);
        await files.push(0, o.record);
      } else {
        // Stopping: the line is not written anywhere, so --resume after fixing it starts with it.
        if (onInvalid === 'fail') throw invalidLineError(input, o, rejects);
        rejected++;
        const reason = setting.rejectReason?.(o.reject.reason) ?? o.reject.reason;
        await files.push(1, { ...o.reject, reason });
      }
      options.onProgress?.({ done: scored + rejected, bytes });
    }
  } finally {
    await files?.close();
    await run.return?.(); // stops the scorer when writing stopped early
  }
  // Nothing after the resume point: either the corpus ends at it, or it ends before it (not the corpus that run
  // scored, or cut since), which would otherwise pass for a finished run.
  if (afterLine > 0 && scored + rejected === 0 && !(await hasLine(input, afterLine)))
    throw new BotlensError(
      'READ_FAILED',
      `${out} holds results up to input line ${afterLine}, but ${input} has fewer lines: it is not the corpus that run scored, or it was cut since, so there is nothing to resume. Resume only with the corpus that started the run; to score this corpus, remove ${out}${rejects === undefined ? '' : ` (and ${rejects} if there is one)`} (or write to another file) and score it from the start.`,
    );
  const elapsedMs = performance.now() - started;
  return {
    scored,
    keptFailed: kept.lines,
    keptFailedFirstLine: kept.firstLine,
    failedMembers: failures.entries().map((f) => ({
      detector: f.detector,
      lines: f.count,
      firstLine: f.first,
      firstError: f.firstError,
    })),
    truncated,
    rejected,
    resumedAfterLine: afterLine,
    lastLine,
    elapsedMs,
    perSecond: ((scored + rejected) * 1000) / Math.max(elapsedMs, 1),
    out,
    rejects: rejects ?? '',
  };
}

/** Whether the corpus at `input` has a line numbered `line` (1-based; read as a stream, up to that line). */
async function hasLine(input: string, line: number): Promise<boolean> {
  for await (const l of readCorpusLines(input, line - 1)) return l.line >= line;
  return false;
}
