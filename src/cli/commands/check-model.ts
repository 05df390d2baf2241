import { type Command, Option } from 'commander';
import { parseNumberFlag } from '../../flags/parse-number.js';
import { MODEL_DTYPES, type ModelDtype } from '../../runtime/model-options.js';
import type { ModelCheck, ModelCheckReport } from '../../select/types.js';
import { MODEL_ZOO, ZOO_DETECTORS, type ZooDetector, type ZooEntry } from '../../zoo/model-zoo.js';
import { ARG, countArg } from '../flag-parsers.js';
import { formatTable } from '../format-table.js';

interface CheckModelFlags {
  task?: ZooDetector;
  budget: string;
  dtype?: ModelDtype;
  languages?: string;
  allowLicenses?: string;
  allowPickle?: boolean;
  minDownloads?: string;
  minLikes?: string;
  maxMonths?: string;
  sequenceLength?: string;
  batchSize?: string;
  revision?: string;
  hubUrl?: string;
  json?: boolean;
}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A count or limit flag: a number >= 0, or a whole number >= 1 (`whole`); `undefined` when not given. */
function num(flag: string, v: string | undefined, whole = false): number | undefined {
  const range = whole
    ? { min: 1, max: Number.POSITIVE_INFINITY, integer: true }
    : { min: 0, max: Number.POSITIVE_INFINITY };
  return v === undefined ? undefined : parseNumberFlag(flag, v, range);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short rendering of a check's measured value for the table. */
function shortValue(c: ModelCheck, formatBytes: (n: number) => string): string {
  const v = c.value;
  if (v === null) return '-';
  if (c.name === 'memory' && typeof v === 'number') return formatBytes(v);
  if (c.name === 'task' && isRecord(v)) return String(v['pipelineTag'] ?? '-');
  if (c.name === 'activity' && isRecord(v))
    return `${String(v['downloads'])} dl, ${String(v['likes'])} likes`;
  if (c.name === 'security' && isRecord(v)) {
    const w = Array.isArray(v['weights']) ? v['weights'].join('+') : '';
    return `${w || 'no weights'}, scan ${String(v['scan'])}`;
  }
  if (Array.isArray(v)) return v.length > 0 ? v.slice(0, 6).join(', ') + (v.length > 6 ? ', ...' : '') : '-';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The `--json` shape: `{ id, verdict, checks: [{ name, status, value, message }] }`. */
function toJson(r: ModelCheckReport): unknown {
  return {
    id: r.id,
    verdict: r.verdict,
    checks: r.checks.map((c) => ({ name: c.name, status: c.status, value: c.value, message: c.message })),
  };
}

/**
 * `botlens check-model ID --task nli --budget 2GB [--dtype q8] [--hub-url URL] [--json]`: runs the model-selection
 * checklist and prints a table (or, with `--json`, one object `{ id, verdict, checks }`). The exit code is 1 when
 * the verdict is `fail`. For a catalogue model `--task` defaults to the detector it serves.
 *
 * @param program - the root command to add `check-model` to
 */
export function registerCheckModelCommand(program: Command): void {
  program
    .command('check-model')
    .description(
      'check that a hub model fits a detector: task, language, license, memory, activity, security',
    )
    .argument('<id>', 'hub model id, e.g. Xenova/bart-large-mnli')
    .addOption(
      new Option('--task <detector>', 'the detector that will use the model').choices([...ZOO_DETECTORS]),
    )
    .requiredOption('--budget <size>', 'memory budget, e.g. 2GB, 512MB, 4GiB (required)', ARG.byteSize)
    .addOption(
      new Option('--dtype <dtype>', 'ONNX weight variant to check (default fp32)').choices([...MODEL_DTYPES]),
    )
    .option('--languages <list>', 'comma-separated languages the transcripts are in, e.g. en,de')
    .option('--allow-licenses <list>', 'comma-separated accepted license ids (default: permissive licenses)')
    .option('--allow-pickle', 'accept pickle-only weights with a warning')
    .option(
      '--min-downloads <n>',
      'fewest downloads over 30 days before warning (default 1000)',
      ARG.nonNegative,
    )
    .option('--min-likes <n>', 'fewest likes before warning (default 0)', ARG.nonNegative)
    .option(
      '--max-months <n>',
      'most months since the last commit before warning (default 24)',
      ARG.nonNegative,
    )
    .option('--sequence-length <n>', 'tokens per input for the memory estimate (default 512)', countArg(1))
    .option('--batch-size <n>', 'inputs per batch for the memory estimate (default 1)', countArg(1))
    .option('--revision <rev>', 'branch, tag or commit sha')
    .option('--hub-url <url>', 'hub base URL (default $HF_ENDPOINT or https://huggingface.co)')
    .option('--json', 'print one JSON object')
    .action(async (id: string, flags: CheckModelFlags) => {
      const entry = (MODEL_ZOO as Record<string, ZooEntry>)[id];
      const task = flags.task ?? entry?.defaultFor[0] ?? entry?.detectors[0];
      if (task === undefined) {
        const { InvalidOptionsError } = await import('../../errors/invalid-options-error.js');
        throw new InvalidOptionsError(
          '--task',
          `${id} is not in the model zoo: say which detector will use it (${ZOO_DETECTORS.join(', ')})`,
        );
      }
      const { checkModel } = await import('../../select/check-model.js');
      const { formatBytes } = await import('../../select/format-bytes.js');
      const report = await checkModel(id, {
        task,
        memoryBudget: flags.budget,
        dtype: flags.dtype,
        languages: list(flags.languages),
        allowLicenses: list(flags.allowLicenses),
        allowPickle: flags.allowPickle,
        minDownloads: num('--min-downloads', flags.minDownloads),
        minLikes: num('--min-likes', flags.minLikes),
        maxMonthsSinceUpdate: num('--max-months', flags.maxMonths),
        sequenceLength: num('--sequence-length', flags.sequenceLength, true),
        batchSize: num('--batch-size', flags.batchSize, true),
        revision: flags.revision,
        hubUrl: flags.hubUrl,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(toJson(report))}\n`);
      } else {
        const head = `${report.id}${report.sha ? ` @ ${report.sha.slice(0, 7)}` : ''} for the ${report.task} detector: ${report.verdict.toUpperCase()}`;
        const table = formatTable(
          ['check', 'status', 'value', 'message'],
          report.checks.map((c) => [c.name, c.status, shortValue(c, formatBytes), c.message]),
        );
        const notes = report.problems.map((p) => `note: could not read ${p.source}: ${p.message}`);
        process.stdout.write(`${head}\n\n${table}\n${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`);
      }
      if (report.verdict === 'fail') process.exitCode = 1;
    });
}
