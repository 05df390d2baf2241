import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { OPTIONAL_NEEDS } from '../../core/optional-needs.js';
import { checkFailedLines, type FailedLines } from '../../corpus/failed-lines.js';
import { isStreamOutput, STDOUT, standardStreamOf } from '../../corpus/output-file.js';
import { DEFAULT_QUEUE, redactRedisUrl } from '../../corpus/queue/queue-settings.js';
import type { QueueRun } from '../../corpus/queue/score-on-queue.js';
import { checkScoreOutputs, type writeScores, writeScoresWith } from '../../corpus/score-to-file.js';
import type { ScoringDetector } from '../../corpus/types.js';
import { checkReadable } from '../../data/check-readable.js';
import { parseCount } from '../../flags/parse-number.js';
import { chooseBarLayout, ETA_WIDTH, fittingFormat, MAX_BAR } from '../bar-layout.js';
import { checkMembersLoad } from '../check-members-load.js';
import { checkCommandPackages } from '../check-packages.js';
import { checkScoreFiles } from '../check-score-files.js';
import { inCliTerms, longFlagsOf } from '../cli-wording.js';
import {
  addDetectorFlags,
  type DetectorFlags,
  ensembleSpecFromFlags,
  fittedLoadOptions,
  parseModelFlags,
} from '../detector-flags.js';
import { onEarlyExit } from '../exit-cleanup.js';
import { EXIT } from '../exit-codes.js';
import { ARG, countArg, usageChecked } from '../flag-parsers.js';
import { hintOnInterrupt } from '../interrupt-hint.js';
import { loadProgressFor, loadProgressOptions } from '../load-progress.js';
import { queueOption, redisOption } from '../queue-option.js';
import { refuseUnfittedSpec } from '../refuse-unfitted.js';
import { reportFailedMembers } from '../report-failed-members.js';
import { MAX_SCORE_WORKERS, parseWorkers, scoreWorkerThreads } from '../score-workers.js';
import { hintWhenStdinIsTerminal, STDIN } from '../standard-streams.js';
import { BAR_TERMINAL_OPTIONS } from '../terminal-bars.js';
import {
  addTranscriptFlags,
  reportTruncated,
  type TranscriptFlags,
  transcriptOptionsFromFlags,
} from '../transcript-flags.js';
import { usageError } from '../usage-error.js';

interface ScoreFlags extends DetectorFlags, TranscriptFlags {
  out: string;
  rejects?: string;
  resume?: boolean;
  onInvalid: 'skip' | 'fail';
  evidence?: boolean;
  workers?: string;
  batchSize?: string;
  redis?: string;
  queue?: string;
  json?: boolean;
  progress?: boolean;
  allowPartial?: boolean;
}

/** What {@link scoringDetectorFromFlags} returns. */
export interface ScoringDetectorFromFlags {
  /** What the flags describe, checked (the corpus scorers are told so: `unfittedChecked`). */
  detector: ScoringDetector;
  /**
   * Gives back the models the check loaded: call it once the detector that scores in this thread has loaded (it
   * shares their load), or at once where the scoring runs elsewhere (worker threads, a queue).
   */
  release: () => Promise<void>;
}

/**
 * What the detector flags describe, as plain data a worker thread or queue worker can rebuild, checked
 * (`refuseUnfittedSpec`).
 *
 * @param flags - the detector flags
 * @param options - `onProgress` for the models the check loads, `inputs` to check readable before it loads one
 */
export async function scoringDetectorFromFlags(
  flags: DetectorFlags,
  options: Parameters<typeof refuseUnfittedSpec>[2] = {},
): Promise<ScoringDetectorFromFlags> {
  const { fitted, models } = parseModelFlags(flags.model);
  if (fitted) {
    // The flags that apply next to a fitted file (--threshold, --prior, --model-dir, ...) travel with it, checked
    // and with paths made absolute, to whichever thread or worker loads it; the others are refused.
    const { modelDir, ...rest } = fittedLoadOptions(flags, fitted, models);
    const options = { ...rest, ...(modelDir !== undefined && { modelDir: resolve(modelDir) }) };
    const detector = { file: resolve(fitted), ...(Object.keys(options).length > 0 && { options }) };
    return { detector, release: async () => undefined };
  }
  const release = await refuseUnfittedSpec(flags, 'score', options);
  return { detector: { ensemble: ensembleSpecFromFlags(flags) }, release };
}

/**
 * The score bar's format for a terminal `columns` wide (see {@link chooseBarLayout}): the percentage and the lines
 * done always show; the rate, the ETA and the bar give way first.
 */
function scoreBarLayout(columns: number): { format: string; barsize: number } {
  // Laid out for a billion lines at ten million a second.
  const done = ' | 999999999 lines'.length;
  const rate = ' | 9999999 lines/s'.length;
  const eta = ' | ETA '.length + ETA_WIDTH;
  return chooseBarLayout(
    [
      {
        format: 'scoring |{bar}| {percentage}% | {done} lines | {rate} lines/s | ETA {eta_formatted}',
        width: 'scoring || 100%'.length + done + rate + eta,
        bar: true,
      },
      {
        format: 'scoring {percentage}% | {done} lines | ETA {eta_formatted}',
        width: 'scoring 100%'.length + done + eta,
        bar: false,
      },
      { format: '{percentage}% | {done} lines', width: 4 + done, bar: false },
      { format: '{percentage}%', width: 4, bar: false },
    ],
    columns,
  );
}

/**
 * A cli-progress bar over the input bytes, with lines per second; only on a terminal, and only for an input file
 * that can be read (otherwise the scoring reports the error, as it does when no bar is drawn).
 */
async function progressBar(input: string, enabled: boolean) {
  if (!enabled || !process.stderr.isTTY) return undefined;
  const stat = statSync(input, { throwIfNoEntry: false });
  if (!stat?.isFile()) return undefined;
  const total = stat.size;
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      ...BAR_TERMINAL_OPTIONS,
      stream: process.stderr,
      // Laid out again at each redraw for the terminal's width then (a resized terminal gets a fitting line).
      format: fittingFormat(scoreBarLayout),
      barsize: MAX_BAR,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(total, 0, { done: 0, rate: '0' });
  return {
    update(p: { done: number; bytes: number }) {
      const s = (performance.now() - started) / 1000;
      bar.update(p.bytes, { done: p.done, rate: s > 0 ? (p.done / s).toFixed(0) : '0' });
    },
    stop: () => bar.stop(),
  };
}

/**
 * `botlens score CORPUS --out SCORES [--allow-partial]`: scores a JSONL corpus, on worker threads or through a
 * Redis queue. A member of the ensemble that fails on some lines is named on stderr with how many lines it failed
 * on and its first error, and the command exits 3 (every line is still written, scored from the other members,
 * with the member's error in its record); `--allow-partial` keeps those scores and exits 0.
 */
export function registerScoreCommand(program: Command): void {
  addDetectorFlags(
    addTranscriptFlags(
      program
        .command('score')
        .description(
          'score every line of a JSONL corpus into a JSONL scores file (streams any size; resumable; worker threads or a Redis queue)',
        )
        .argument(
          '<corpus>',
          'JSONL file: one { "messages": [...], "target": "...", "id"?: ... } per line, or - for standard input (not with --resume, which reads the corpus again)',
        )
        .requiredOption(
          '--out <file>',
          'scores JSONL to write (one line per scored input line, in input order); - writes them to standard output (the summary then goes to stderr; no --resume)',
          ARG.outFile,
        )
        .option(
          '--rejects <file>',
          'where invalid lines go, with line number and reason (default: <out>.rejects.jsonl; none for --out - or a device or pipe, so --on-invalid skip needs --rejects there)',
        )
        .option(
          '--resume',
          "continue an interrupted run: keep the outputs and score only the lines after them (refused when a line holds a failed member's error, unless --allow-partial keeps it)",
        )
        .addOption(
          new Option(
            '--on-invalid <mode>',
            'on an invalid line: fail (stop) or skip (write it to the rejects file)',
          )
            .choices(['skip', 'fail'])
            .default('fail'),
        )
        .option('--evidence', 'include each detection’s evidence in the records')
        .option(
          '--workers <n>',
          `worker threads, 0 to ${MAX_SCORE_WORKERS} (0 = in this thread; default: one per core; never more than the corpus has batches, and a note when more than the cores)`,
          usageChecked(parseWorkers),
        )
        .option('--batch-size <n>', 'lines per task (default 32 locally, 16 on a queue)', countArg(1))
        .addOption(redisOption('score through a BullMQ queue on this Redis (run `botlens worker` elsewhere)'))
        .addOption(queueOption('queue name with --redis'))
        .option('--no-progress', 'no progress bar (it is only drawn on a terminal anyway)')
        .option('--json', 'print the summary as JSON')
        .option(
          '--allow-partial',
          'score from the members that ran when one fails (default: exit 3 once every line is written, with the failed members named)',
        ),
    ),
    { strategy: 'weighted-mean', preset: 'fitted-only' },
  ).action(async (corpus: string, flags: ScoreFlags, cmd: Command) => {
    if (corpus === STDIN && flags.resume) {
      usageError(
        cmd,
        '--resume cannot continue a corpus read from standard input (-): it reads the corpus again to skip the lines already scored. Save the input to a file (cat > corpus.jsonl) and score that file with --resume',
      );
    }
    // Before any model loads or any bar is drawn: an --out that exists without --resume, an output that is the input.
    // The number flags first (parsed again where they are used), then the files.
    parseCount('--batch-size', flags.batchSize, 1);
    parseWorkers(flags.workers);
    // Every optional package this run needs, named at once: the queue's, and the models' where this process
    // loads them (a fitted file on a queue is loaded by the workers only).
    const onQueueFitted = flags.redis !== undefined && parseModelFlags(flags.model).fitted !== undefined;
    await checkCommandPackages({
      ...(!onQueueFitted && { flags }),
      ...(flags.redis !== undefined && { needs: [OPTIONAL_NEEDS.queue] }),
    });
    checkScoreFiles(corpus, flags);
    const failedLines = flags.allowPartial ? 'keep' : 'refuse';
    const limits = transcriptOptionsFromFlags(flags); // a bad --max-messages is refused before anything loads
    const { out } = checkScoreOutputs(corpus, { ...flags, failedLines });
    // Before a model loads; writeScores takes what it found rather than reading the file again.
    const failedLinesChecked = flags.resume ? await checkFailedLines(out, failedLines) : undefined;
    const loadBar = loadProgressFor(flags.progress === false);
    let checked: ScoringDetectorFromFlags;
    try {
      checked = await scoringDetectorFromFlags(flags, {
        ...loadProgressOptions(loadBar),
        inputs: corpus === STDIN ? [] : [corpus],
      });
    } finally {
      loadBar?.stop();
    }
    // In this thread (--workers 0), the check's models stay loaded until scoring ends: the detector's load shares them.
    const { detector, release } = checked;
    try {
      // Where the check loaded nothing, still before the scorer loads a model.
      if (corpus !== STDIN) await checkReadable(corpus);
      // Every member loads here, before a line is read (a queue's workers load their own models, where they run).
      const members =
        flags.redis === undefined ? await checkMembersLoad(detector, flags.allowPartial ?? false) : undefined;
      if (members?.refused) return;
      // Given back with the check's: at once where threads or a queue score, after scoring in this thread.
      const releaseAll = async (): Promise<void> => {
        await members?.release();
        await release();
      };
      try {
        await scoreWith(corpus, flags, detector, releaseAll, limits, failedLinesChecked, longFlagsOf(cmd));
      } finally {
        await members?.release();
      }
    } finally {
      await release();
    }
  });
}

/**
 * Scores `corpus` with the checked `detector` and prints the summary; `release` gives back the check's models;
 * `limits` (from `--max-messages` and `--truncate`) go to whichever thread or queue worker reads the lines;
 * `failedLinesChecked` is what the failed-lines check of `--out` found (with `--resume`); `cliFlags` are the command's
 * long flags, for the wording of rejected lines' reasons.
 */
async function scoreWith(
  corpus: string,
  flags: ScoreFlags,
  detector: ScoringDetector,
  release: () => Promise<void>,
  limits: ReturnType<typeof transcriptOptionsFromFlags>,
  failedLinesChecked: FailedLines | undefined,
  cliFlags: ReadonlySet<string>,
): Promise<void> {
  const batchSize = parseCount('--batch-size', flags.batchSize, 1);
  const evidence = flags.evidence ?? false;
  const fromStdin = corpus === STDIN;
  // Standard input is read as a stream, once (its size is unknown: no bar over the bytes).
  const source = fromStdin ? process.stdin : corpus;
  const bar = fromStdin ? undefined : await progressBar(corpus, flags.progress !== false);
  let outcomes: Parameters<typeof writeScores>[1];
  let queueRun: QueueRun | undefined;
  if (flags.redis) {
    const { scoreCorpusOnQueueWith } = await import('../../corpus/queue/score-on-queue.js');
    const redis = flags.redis;
    const queueName = flags.queue ?? DEFAULT_QUEUE;
    await release(); // the queue's workers load their own models
    outcomes = (afterLine, onBytes) =>
      scoreCorpusOnQueueWith(
        source,
        {
          redis,
          detector,
          evidence,
          ...limits,
          afterLine,
          onBytes,
          ...(flags.queue !== undefined && { queue: flags.queue }),
          ...(batchSize !== undefined && { batchSize }),
        },
        {
          unfittedChecked: true,
          onRun: (r) => {
            queueRun = r;
          },
          // On a queue nothing moves until a worker runs: say so once instead of waiting in silence.
          onNoWorker: (ms) => {
            bar?.stop();
            process.stderr.write(
              `botlens score: no worker has taken a job from queue "${queueName}" in ${ms / 1000} s; still waiting. Start one where the models are: botlens worker --redis ${redactRedisUrl(redis)} --queue ${queueName}\n`,
            );
          },
        },
      );
  } else {
    const { scoreCorpusWith } = await import('../../corpus/score-corpus.js');
    const threads = await scoreWorkerThreads(corpus, parseWorkers(flags.workers), batchSize, (s) =>
      process.stderr.write(s),
    );
    if (threads !== 0) await release(); // worker threads load their own models
    outcomes = (afterLine, onBytes) =>
      scoreCorpusWith(
        source,
        {
          detector,
          evidence,
          ...limits,
          afterLine,
          onBytes,
          threads,
          ...(batchSize !== undefined && { batchSize }),
        },
        { unfittedChecked: true },
      );
  }
  if (fromStdin) hintWhenStdinIsTerminal('the corpus (JSONL, one transcript per line)');
  let summary: Awaited<ReturnType<typeof writeScores>>;
  // However a queue run ends early (Ctrl-C, SIGTERM, a closed standard output), its queued jobs are withdrawn
  // first.
  const dropCleanup = flags.redis
    ? onEarlyExit(async () => {
        bar?.stop();
        if (!queueRun) return undefined;
        const { removed, remaining } = await queueRun.withdraw();
        const left =
          remaining > 0
            ? `; ${remaining} job(s) could not be removed (a worker holds them, or Redis did not answer in time): a worker will still score them, and their results are not written`
            : '';
        return `botlens score: removed ${removed} queued job(s) of this run from queue ${flags.queue}${left}`;
      })
    : () => undefined;
  // Ctrl-C or SIGTERM, local run or queue: the lines scored so far are written, whole, then nothing more; the line
  // on stderr says how many and that --resume continues after them (once there is an output to continue).
  const stream = isStreamOutput(flags.out);
  let halt: (() => Promise<number>) | undefined;
  const unhook = hintOnInterrupt(
    async () => {
      const written = (await halt?.()) ?? 0;
      if (stream)
        return `botlens score: interrupted after writing ${written} line(s); --out ${flags.out} is not a file, so --resume cannot continue it: score into a file to resume`;
      if (fromStdin)
        return existsSync(flags.out)
          ? `botlens score: interrupted after writing ${written} line(s) of this run (scored or rejected), each whole; the corpus came from standard input, which --resume cannot read again: to continue ${flags.out}, save the same input to a file and score that file with --resume`
          : undefined;
      return existsSync(flags.out)
        ? `botlens score: interrupted after writing ${written} line(s) of this run (scored or rejected), each whole: run the same command with --resume to continue ${flags.out} after them`
        : undefined;
    },
    () => bar?.stop(),
  );
  try {
    summary = await writeScoresWith(
      corpus,
      outcomes,
      {
        out: flags.out,
        resume: flags.resume ?? false,
        failedLines: flags.allowPartial ? 'keep' : 'refuse',
        onInvalid: flags.onInvalid,
        ...(flags.rejects !== undefined && { rejects: flags.rejects }),
        onProgress: (p) => bar?.update(p),
      },
      // Trusts the check above; a new --out is created exclusively, so another run that created it in between is refused.
      {
        failedLinesChecked,
        onOpen: (h) => {
          halt = h;
        },
        // The rejects file words a reason as stderr does (--truncate, --max-messages, not maxMessages).
        rejectReason: (reason) => inCliTerms(reason, cliFlags),
      },
    );
  } finally {
    unhook();
    dropCleanup();
    bar?.stop();
  }
  // With the scores on standard output, the summary goes to stderr, so stdout holds records only.
  const say = standardStreamOf(flags.out) === 1 ? process.stderr : process.stdout;
  if (flags.json) say.write(`${JSON.stringify(summary)}\n`);
  else {
    const resumed = summary.resumedAfterLine ? ` (resumed after line ${summary.resumedAfterLine})` : '';
    say.write(
      `scored ${summary.scored}, rejected ${summary.rejected}${resumed} in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.perSecond.toFixed(0)} lines/s) -> ${summary.out === STDOUT ? 'standard output' : summary.out}${summary.rejected ? `, rejects -> ${summary.rejects}` : ''}\n`,
    );
  }
  if (summary.truncated > 0)
    reportTruncated(
      {
        count: summary.truncated,
        of: summary.scored,
        what: 'scored lines',
        where: 'their records carry truncatedFrom',
      },
      limits,
    );
  if (summary.keptFailed > 0)
    process.stderr.write(
      `botlens score: kept ${summary.keptFailed} line(s) of ${summary.out} from an earlier run whose record holds a failed member's error (the first: input line ${summary.keptFailedFirstLine}), as --allow-partial asks\n`,
    );
  // Exit 3: finished, but some lines were rejected (partial result).
  if (summary.rejected > 0) process.exitCode = EXIT.partial;
  reportFailedMembers(
    summary.failedMembers.map((f) => ({ detector: f.detector, error: f.firstError, count: f.lines })),
    {
      of: { total: summary.scored, unit: 'lines' },
      allowPartial: flags.allowPartial ?? false,
      refusal: (n) =>
        stream
          ? `partial result: ${n} detector(s) failed; every line was written to ${summary.out}, scored from the other members, with each failed member's error in its "members": fix them and score again, or pass --allow-partial to keep the scores from the others.`
          : `partial result: ${n} detector(s) failed; ${summary.out} holds every line, scored from the other members, with each failed member's error in its "members": fix them, then remove ${summary.out} and score again (--resume cannot score those lines again), or pass --allow-partial to keep the scores from the others.`,
    },
  );
}
