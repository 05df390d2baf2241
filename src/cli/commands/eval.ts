import type { Command } from 'commander';
import type { Detector } from '../../core/detector.js';
import { Ensemble } from '../../ensemble/ensemble.js';
import type { EnsembleStrategy } from '../../ensemble/types.js';
import { evaluateDetector } from '../../eval/evaluate.js';
import { parseModelFlags } from '../../flags/ensemble-flags.js';
import { parseNumberFlag } from '../../flags/parse-number.js';
import { checkCommandPackages } from '../check-packages.js';
import { addDetectorFlags, type DetectorFlags, detectorFromFlags } from '../detector-flags.js';
import {
  breakdownGroups,
  checkGroupBy,
  fitGrouped,
  GROUP_BY_FLAG,
  GROUP_BY_HELP,
  groupByFields,
} from '../fit-groups.js';
import { usageChecked } from '../flag-parsers.js';
import { formatTable } from '../format-table.js';
import { loadProgressFor, loadProgressOptions } from '../load-progress.js';
import { refuseUnfittedSpec } from '../refuse-unfitted.js';
import { reportFailedMembers } from '../report-failed-members.js';
import { STDIN } from '../standard-streams.js';
import { createTaskProgress } from '../task-progress.js';
import {
  addTranscriptFlags,
  readLabelledWithFlags,
  reportTruncated,
  type TranscriptFlags,
  transcriptOptionsFromFlags,
  WHOLE_CHATS,
} from '../transcript-flags.js';
import { usageChecks, usageError } from '../usage-error.js';

type EvalFlags = DetectorFlags &
  TranscriptFlags & {
    data: string;
    fit?: string;
    json?: boolean;
    quiet?: boolean;
    by?: string;
    groupBy?: string;
    ci?: boolean;
    prefix?: string;
    allowPartial?: boolean;
  };

/** Parses `--prefix K`: a whole number of target messages, 1 or more (decimal only, as every number flag). */
function parsePrefix(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return parseNumberFlag(
    '--prefix',
    value,
    { min: 1, max: Number.POSITIVE_INFINITY, integer: true },
    (v) => `expected a whole number of target messages (1 or more), got "${v}"`,
  );
}

const round = (v: number): string => String(Math.round(v * 10000) / 10000);

/**
 * What was scored, as the report names it: an ensemble's member names and strategy, or a single detector's name
 * (a fitted file may hold one). Read from the detector built or loaded, never from the `--detectors` and
 * `--strategy` defaults, which a fitted file or a `--preset` replaces.
 */
function scoredBy(detector: Detector): { detectors: string; strategy?: EnsembleStrategy } {
  if (detector instanceof Ensemble) {
    return { detectors: detector.members.map((m) => m.name).join(','), strategy: detector.strategy };
  }
  return { detectors: detector.name };
}

/**
 * `botlens eval --data FILE.jsonl [--fit TRAIN.jsonl]`: metrics of an ensemble on labelled data, optionally per
 * group (`--by source`), with bootstrap intervals (`--ci`) and on transcripts cut after the target's K-th
 * message (`--prefix K`). `--json` output uses the library's camelCase keys (`tprAt1Fpr`, `fitMs`), so a report
 * reads the same from the CLI, the service and `evaluateDetector`.
 */
export function registerEvalCommand(program: Command): void {
  addTranscriptFlags(
    addDetectorFlags(
      program
        .command('eval')
        .description('evaluate detectors on labelled speaker-level JSONL (bot = positive class)')
        .requiredOption(
          '--data <file>',
          'labelled evaluation data (JSONL: messages, target, label); - reads standard input',
        )
        .option(
          '--fit <file>',
          'labelled training data to fit the ensemble of the detector flags on first (not with --model fitted.json: evaluate that without --fit); - reads standard input',
        )
        .option('--by <field>', 'also report metrics per value of this record field (e.g. source)')
        .option(GROUP_BY_FLAG, `with --fit: ${GROUP_BY_HELP}`)
        .option('--ci', 'bootstrap 95% intervals for F1 and AUROC (1000 seeded resamples)')
        .option(
          '--prefix <k>',
          "score every transcript cut right after the target's K-th message, counted from the chat's start (with --truncate, a cut still longer than --max-messages keeps its last ones)",
          usageChecked(parsePrefix),
        )
        .option(
          '--allow-partial',
          'when a member throws on some transcripts, report the metrics from the others (and which failed) instead of exiting 3',
        )
        .option('--json', 'print one JSON object')
        .option('--quiet', 'no progress display, and no note on how a --preset is meant to be fitted'),
      { strategy: 'weighted-mean', preset: 'eval', fitFlag: 'fit' },
    ),
  ).action(async (flags: EvalFlags, cmd: Command) => {
    const prefix = parsePrefix(flags.prefix);
    const { fitted } = parseModelFlags(flags.model);
    if (flags.fit && fitted !== undefined) {
      // A fit would start from the file's fitted state: neither the file as saved nor a fresh fit.
      usageError(
        cmd,
        `--fit cannot be used with the fitted model --model ${fitted}: evaluate the fitted file without --fit, or fit a new ensemble with --fit and --detectors/--strategy or --preset in place of --model ${fitted}`,
      );
    }
    if (flags.data === STDIN && flags.fit === STDIN) {
      usageError(cmd, '--data - and --fit - cannot both read standard input: give one of them as a file');
    }
    if (flags.groupBy !== undefined && !flags.fit) {
      usageError(cmd, '--group-by groups the fit: give --fit <file> with it, or leave --group-by out');
    }
    const note = usageChecks(cmd, () => checkGroupBy(flags, flags.groupBy));
    await checkCommandPackages({ flags });
    const loadBar = loadProgressFor(flags.quiet);
    // The models the check loads stay loaded until the evaluation has run: the detector's own load shares them.
    let releaseChecked = async (): Promise<void> => undefined;
    try {
      if (!flags.fit) {
        releaseChecked = await refuseUnfittedSpec(flags, 'eval', {
          ...loadProgressOptions(loadBar),
          inputs: flags.data === STDIN ? [] : [flags.data],
        });
      }
      await evaluate(flags, prefix, loadBar, note);
    } finally {
      loadBar?.stop(); // also when the check refuses or the data cannot be read
      await releaseChecked();
    }
  });
}

/**
 * Reads the data, builds (and with `--fit` fits) the detector, evaluates it and prints the report; `note` (from
 * `checkGroupBy`) is printed before the fit.
 */
async function evaluate(
  flags: EvalFlags,
  prefix: number | undefined,
  loadBar: ReturnType<typeof loadProgressFor>,
  note: string | undefined,
): Promise<void> {
  // --prefix counts the target's messages from the chat's start: with --truncate the chats are read whole, and
  // evaluateDetector cuts each to its last --max-messages after the prefix (never before, which would shift it).
  const cutAfterPrefix = prefix !== undefined && flags.truncate === true;
  const data = await readLabelledWithFlags(
    flags.data,
    cutAfterPrefix ? WHOLE_CHATS : flags,
    '--data',
    groupByFields(flags.by),
  );
  const { limits } = transcriptOptionsFromFlags(flags);
  // Before any model loads or fit runs: a field no record has is refused.
  const breakdown = flags.by !== undefined ? breakdownGroups(data, flags.by, '--data') : undefined;
  const byGroups = breakdown?.groups;
  if (breakdown !== undefined && breakdown.missing > 0)
    process.stderr.write(
      `botlens eval: ${breakdown.missing} of ${data.length} records have no "${flags.by}" field: they count in the whole report but in no group of "by"\n`,
    );
  const train = flags.fit
    ? await readLabelledWithFlags(flags.fit, flags, '--fit', groupByFields(flags.groupBy))
    : undefined;
  const detector = await detectorFromFlags(flags, loadProgressOptions(loadBar));
  const progress = createTaskProgress({ label: 'eval', quiet: flags.quiet });
  try {
    let fitMs = 0;
    if (train) {
      if (note !== undefined && !flags.quiet) process.stderr.write(note);
      const t0 = performance.now();
      progress.busy(`fitting on ${train.length} transcripts`);
      await fitGrouped(detector, train, flags.groupBy, '--fit');
      fitMs = performance.now() - t0;
    }
    const report = await evaluateDetector(detector, data, {
      ...(byGroups !== undefined && { groupBy: (_e, i) => byGroups[i] }),
      ...(flags.ci && { ci: true }),
      ...(prefix !== undefined && { prefix }),
      ...(limits && { limits }),
      ...(cutAfterPrefix && { truncate: true }),
      onProgress: (p) => progress.update(p.done, p.total),
    });
    progress.stop();
    if (report.truncated)
      reportTruncated(
        {
          count: report.truncated,
          of: report.n,
          what: 'transcripts',
          where: `--data ${flags.data}, after the target's message ${prefix}`,
        },
        { ...(limits && { limits }) },
      );
    // Their examples were scored from the other members, so the metrics would not be the ensemble's.
    const withheld = reportFailedMembers(
      report.failedMembers.map((f) => ({ detector: f.detector, error: f.firstError, count: f.examples })),
      {
        of: { total: report.scored + report.abstained, unit: 'transcripts' },
        allowPartial: flags.allowPartial ?? false,
        refusal: (n) =>
          `no report: ${n} detector(s) failed, so the metrics would not be the ensemble's. Fix them, or pass --allow-partial to evaluate from the others.`,
      },
    );
    if (withheld) return;
    const out = {
      n: report.n,
      scored: report.scored,
      f1: report.f1,
      precision: report.precision,
      recall: report.recall,
      accuracy: report.accuracy,
      auroc: report.auroc,
      tprAt1Fpr: report.tprAt1Fpr,
      tprAt5Fpr: report.tprAt5Fpr,
      ece: report.ece,
      abstained: report.abstained,
      threshold: report.threshold,
      ...(flags.preset !== undefined && { preset: flags.preset }),
      ...scoredBy(detector),
      ...(train && { fitMs: Math.round(fitMs) }),
      evalMs: Math.round(report.elapsedMs),
      ...(report.prefix && { prefix: report.prefix }),
      ...(report.ci && { ci: report.ci }),
      ...(report.by && { by: report.by }),
      ...(report.members && { members: report.members }),
      ...(report.failedMembers.length > 0 && { failedMembers: report.failedMembers }),
    };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return;
    }
    const rows = Object.entries(out).flatMap(([k, v]): string[][] => {
      if (v === null || typeof v !== 'object') return [[k, typeof v === 'number' ? round(v) : String(v)]];
      return Object.entries(v).map(([g, m]) => [
        `${k}.${g}`,
        m !== null && typeof m === 'object' && !Array.isArray(m)
          ? Object.entries(m)
              .map(([mk, mv]) => `${mk}=${typeof mv === 'number' ? round(mv) : String(mv)}`)
              .join(' ')
          : Array.isArray(m)
            ? m.map((x) => round(x as number)).join('..')
            : typeof m === 'number'
              ? round(m)
              : String(m),
      ]);
    });
    process.stdout.write(`${formatTable(['metric', 'value'], rows)}\n`);
  } finally {
    loadBar?.stop();
    progress.stop();
    await detector.dispose?.();
  }
}
