import type { Command } from 'commander';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { assertOutputSeparate, checkOutputFile } from '../../fs/safe-paths.js';
import { checkCommandPackages } from '../check-packages.js';
import { addDetectorFlags, type DetectorFlags, detectorFromFlags, FIT_STRATEGY } from '../detector-flags.js';
import { checkGroupBy, fitGrouped, GROUP_BY_FLAG, GROUP_BY_HELP, groupByFields } from '../fit-groups.js';
import { ARG } from '../flag-parsers.js';
import { loadProgressFor, loadProgressOptions } from '../load-progress.js';
import { STDIN, STDOUT, writeStdout } from '../standard-streams.js';
import { createTaskProgress } from '../task-progress.js';
import { addTranscriptFlags, readLabelledWithFlags, type TranscriptFlags } from '../transcript-flags.js';
import { usageChecks, usageError } from '../usage-error.js';

interface FitFlags extends DetectorFlags, TranscriptFlags {
  data: string;
  out: string;
  force?: boolean;
  quiet?: boolean;
  json?: boolean;
  groupBy?: string;
}

/**
 * `botlens fit --data train.jsonl --out fitted.json [--force]`: fits an ensemble and saves it. The output is
 * checked before any work (its folder exists; an existing file needs `--force`; it is not an input) and written
 * atomically, so a failed or interrupted fit leaves the old file, or none.
 */
export function registerFitCommand(program: Command): void {
  addTranscriptFlags(
    addDetectorFlags(
      program
        .command('fit')
        .description('fit an ensemble on labelled speaker-level JSONL and save it for `detect --model`')
        .requiredOption(
          '--data <file>',
          'labelled training data (JSONL: messages, target, label); - reads standard input',
        )
        .requiredOption(
          '--out <file>',
          'where to write the fitted ensemble (JSON); - writes it to standard output (not with --json)',
          ARG.outFile,
        )
        .option('--force', 'replace --out when it exists')
        .option(GROUP_BY_FLAG, GROUP_BY_HELP)
        .option('--quiet', 'no progress display, and no note on how a --preset is meant to be fitted')
        .option('--json', 'print a JSON summary { out, detector, n, fitMs } on stdout'),
      { strategy: FIT_STRATEGY, preset: 'fit' },
    ),
  ).action(async (flags: FitFlags, cmd: Command) => {
    // A --group-by the ensemble has no use for is a usage error, before any file is checked or read.
    const note = usageChecks(cmd, () => checkGroupBy(flags, flags.groupBy));
    const toStdout = flags.out === STDOUT;
    if (toStdout && flags.json) {
      usageError(
        cmd,
        '--out - writes the fitted ensemble to standard output, so --json cannot print there too: leave one out',
      );
    }
    if (!toStdout) {
      checkOutputFile(flags.out, { option: '--out', force: flags.force });
      assertOutputSeparate({ option: '--out', path: flags.out }, [
        ...(flags.data === STDIN ? [] : [{ option: '--data', path: flags.data }]),
        ...flags.model.filter((m) => !m.includes('=')).map((path) => ({ option: '--model', path })),
      ]);
    }
    await checkCommandPackages({ flags });
    const train = await readLabelledWithFlags(flags.data, flags, '--data', groupByFields(flags.groupBy));
    const loadBar = loadProgressFor(flags.quiet);
    const detector = await detectorFromFlags(flags, loadProgressOptions(loadBar));
    const progress = createTaskProgress({ label: 'fit', quiet: flags.quiet });
    try {
      if (!detector.fit || !detector.toJSON) {
        throw new InvalidOptionsError('--detectors', `${detector.name} cannot be fitted and saved`);
      }
      if (note !== undefined && !flags.quiet) process.stderr.write(note);
      const t0 = performance.now();
      progress.busy(`fitting ${detector.name} on ${train.length} transcripts`);
      // Ctrl-C keeps Node's default (the process ends at once, exit 130): a handler would run only when the fit
      // gives the event loop a turn, seconds later, just to clear this line.
      await fitGrouped(detector, train, flags.groupBy, '--data');
      progress.stop();
      const state = `${JSON.stringify(detector.toJSON())}\n`;
      if (toStdout) await writeStdout(state);
      // Without --force, never over a file another run saved meanwhile (checked free at start-up above).
      else await writeFileAtomic(flags.out, state, { replace: flags.force === true });
      const ms = performance.now() - t0;
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ out: flags.out, detector: detector.name, n: train.length, fitMs: Math.round(ms) })}\n`,
        );
      }
      process.stderr.write(
        `botlens: fitted ${detector.name} on ${train.length} transcripts in ${(ms / 1000).toFixed(1)} s; ${toStdout ? 'written to standard output' : `saved ${flags.out}`}\n`,
      );
    } finally {
      loadBar?.stop();
      progress.stop();
      await detector.dispose?.();
    }
  });
}
