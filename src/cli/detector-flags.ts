import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { Detector } from '../core/detector.js';
import {
  formatRange,
  NONZERO_SHARE,
  type NumberRange,
  OPEN_SHARE,
  PROBABILITY,
} from '../core/number-range.js';
import type { DetectorCliFlag, DetectorLoadOptions } from '../detectors/descriptor.js';
import { descriptorForType, registeredDetectorTypes } from '../detectors/detector-registry.js';
import { type DetectorSpec, detectorSpecSchema, type EnsembleSpec } from '../detectors/detector-spec.js';
import type { EmbeddingRareBucketOptions } from '../detectors/embedding/options.js';
import { createEnsemble, detectorFromFile } from '../detectors/registry.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { LoadProgress } from '../runtime/model-options.js';
import { parseNumberFlag } from './parse-number.js';

/** The detector-building flags shared by `detect`, `eval` and `fit` (`serve` reads its ensemble from --config). */
export interface DetectorFlags {
  detectors: string;
  strategy: 'weighted-mean' | 'stacking' | 'cascade';
  noveltyGuard?: 'report' | 'fallback' | 'off';
  memberPrefixCuts?: string;
  memberPrefixCutShare?: string;
  /** False when `--no-member-features` was given. */
  memberFeatures?: boolean;
  /** `--prior`: the share of bots expected where the ensemble is used. */
  prior?: string;
  model: string[];
  modelDir?: string;
  embedder?: 'hashing' | 'transformers';
  /** `--rare-buckets`: the embedding detector's `rareBuckets` rule, `N[,drop|shrink][,any|eachClass]`. */
  rareBuckets?: string;
  dtype?: 'fp32' | 'fp16' | 'q8' | 'q4';
  threshold?: string;
  threads?: string;
  device?: 'cpu' | 'auto' | 'gpu' | 'cuda';
  /**
   * The flags given on the command line (not defaults): commander's attribute name → the flag as spelled
   * (`memberFeatures` → `--no-member-features`); set by {@link addDetectorFlags}.
   */
  explicit?: Readonly<Record<string, string>>;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds the shared detector flags to a command. */
export function addDetectorFlags(cmd: Command, defaults: { strategy: DetectorFlags['strategy'] }): Command {
  // Record which flags the user gave, so those that cannot apply to a fitted file are refused, not ignored.
  cmd.hook('preAction', (_self, action) => {
    const given = action.options
      .filter((o) => action.getOptionValueSource(o.attributeName()) === 'cli')
      .map((o) => [o.attributeName(), o.long ?? o.flags]);
    action.setOptionValue('explicit', Object.fromEntries(given));
  });
  return cmd
    .option(
      '--detectors <list>',
      `comma-separated detectors: ${registeredDetectorTypes().join(', ')}`,
      'heuristic',
    )
    .addOption(
      new Option('--strategy <name>', 'how the ensemble combines detectors')
        .choices(['weighted-mean', 'stacking', 'cascade'])
        .default(defaults.strategy),
    )
    .addOption(
      new Option(
        '--novelty-guard <mode>',
        'stacking: what to do with a transcript unlike the fitted ones (report it in the evidence, fall back to the members that transfer, or off)',
      ).choices(['report', 'fallback', 'off']),
    )
    .option(
      '--member-prefix-cuts <list>',
      'stacking: also fit the members on training transcripts cut after these many target messages (comma-separated: better verdicts after the first messages; "none" = whole transcripts only) [default: 1]',
    )
    .option(
      '--member-prefix-cut-share <share>',
      'stacking: the share of training transcripts, in (0, 1], whose --member-prefix-cuts cuts the members learn from [default: 0.25]',
    )
    .option(
      '--no-member-features',
      "stacking: do not let the combiner learn on the members' named features (the heuristic's per-signal terms)",
    )
    .option(
      '--prior <share>',
      'stacking: the share of bots expected where the ensemble is used, in (0, 1), when it differs from the training data (0.5 = no assumption) [default: the training share]',
    )
    .option(
      '--model <value>',
      'NAME=ID to choose a detector model (repeatable), or a fitted.json saved by `botlens fit`',
      collect,
      [] as string[],
    )
    .option('--model-dir <dir>', 'local folder holding model folders (implies offline)')
    .addOption(
      new Option('--embedder <kind>', 'embedder of the embedding detector').choices([
        'hashing',
        'transformers',
      ]),
    )
    .option(
      '--rare-buckets <rule>',
      'embedding: give the probe no weight (drop) or a larger penalty (shrink) for hashed positions seen in fewer than N training conversations (any: of either class; eachClass: the fewer of bot and human ones): N[,drop|shrink][,any|eachClass], e.g. 10,eachClass [default: off]',
    )
    .addOption(new Option('--dtype <dtype>', 'model weight variant').choices(['fp32', 'fp16', 'q8', 'q4']))
    .option('--threshold <p>', 'P(bot) at or above which the label is bot')
    .option('--threads <n>', "intra-op threads per model (default: ONNX Runtime's, one per physical core)")
    .addOption(
      new Option('--device <device>', 'where models run (auto, gpu and cuda fall back to the CPU)').choices([
        'cpu',
        'auto',
        'gpu',
        'cuda',
      ]),
    );
}

/** Splits `--model` values into a fitted-state file and NAME=ID pairs. */
export function parseModelFlags(values: readonly string[]): { fitted?: string; models: Map<string, string> } {
  const models = new Map<string, string>();
  let fitted: string | undefined;
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq > 0) {
      const name = v.slice(0, eq);
      if (!registeredDetectorTypes().includes(name)) {
        throw new InvalidOptionsError(
          '--model',
          `"${name}" is not a detector; use one of ${registeredDetectorTypes().join(', ')}`,
        );
      }
      models.set(name, v.slice(eq + 1));
    } else if (v.endsWith('.json') || existsSync(v)) {
      if (fitted) throw new InvalidOptionsError('--model', 'give at most one fitted model file');
      fitted = v;
    } else {
      throw new InvalidOptionsError('--model', `"${v}" is neither NAME=ID nor an existing fitted.json file`);
    }
  }
  return fitted === undefined ? { models } : { fitted, models };
}

/**
 * Parses `--threshold`: a number in [0, 1] (an empty or blank value, hex, `Infinity` or `NaN` is refused, never
 * read as 0 or a number).
 *
 * @param value - the flag's value, if given
 * @throws InvalidOptionsError naming `--threshold`
 */
export function parseThreshold(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseNumberFlag('--threshold', value, PROBABILITY);
}

/** `--threads`: a whole number from 1 to 1024. */
const THREADS: NumberRange = { min: 1, max: 1024, integer: true };

/** Parses `--threads`. */
function parseThreads(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseNumberFlag('--threads', value, THREADS);
}

/** The spec fields each shared flag sets, for the types whose descriptor lists the flag. */
function flagValues(flags: DetectorFlags, models: Map<string, string>, type: string) {
  const threads = parseThreads(flags.threads);
  const values: Record<DetectorCliFlag, unknown> = {
    model: models.get(type),
    modelDir: flags.modelDir,
    dtype: flags.dtype,
    threads,
    device: flags.device,
    embedder: flags.embedder,
    rareBuckets: flags.rareBuckets === undefined ? undefined : parseRareBuckets(flags.rareBuckets),
  };
  return values;
}

/** The detector specs the flags describe. */
export function specsFromFlags(flags: DetectorFlags): DetectorSpec[] {
  const { models } = parseModelFlags(flags.model);
  const names = flags.detectors
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new InvalidOptionsError(
      '--detectors',
      `list at least one of ${registeredDetectorTypes().join(', ')}`,
    );
  parseThreads(flags.threads);
  const specs = names.map((type) => {
    let applies: readonly DetectorCliFlag[];
    try {
      applies = descriptorForType(type).cliFlags ?? [];
    } catch {
      throw new InvalidOptionsError(
        '--detectors',
        `"${type}" is not a detector; use one of ${registeredDetectorTypes().join(', ')}`,
      );
    }
    const values = flagValues(flags, models, type);
    const raw: Record<string, unknown> = { type };
    for (const f of applies) if (values[f] !== undefined) raw[f] = values[f];
    const r = detectorSpecSchema.safeParse(raw);
    if (!r.success) {
      throw new InvalidOptionsError(
        `--detectors ${type}`,
        r.error.issues
          .map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`)
          .join('; '),
      );
    }
    return r.data;
  });
  if (flags.rareBuckets !== undefined && !specs.some((s) => s['rareBuckets'] !== undefined)) {
    throw new InvalidOptionsError(
      '--rare-buckets',
      `applies to the embedding detector, which --detectors ${flags.detectors} does not list: add embedding, or leave the flag out`,
    );
  }
  return specs;
}

/** Options for {@link detectorFromFlags}. */
export interface DetectorFromFlagsOptions {
  /** Model-loading events of the model-backed members (downloads included), for a progress bar. */
  onProgress?: (p: LoadProgress) => void;
}

/** Flags that describe a new ensemble, so they cannot apply to a fitted file. */
const NEW_ENSEMBLE_FLAGS = [
  'detectors',
  'strategy',
  'noveltyGuard',
  'memberPrefixCuts',
  'memberPrefixCutShare',
  'memberFeatures',
  'embedder',
  'rareBuckets',
  'dtype',
] as const;

/**
 * The load options that the flags given next to `--model fitted.json` set: `--threshold`, `--prior`, `--model-dir`,
 * `--threads` and `--device` apply; flags that describe a new ensemble (`--detectors`, `--strategy`,
 * `--embedder`, `--dtype`, `--model NAME=ID`) are refused, never silently ignored.
 */
export function fittedLoadOptions(
  flags: DetectorFlags,
  fitted: string,
  models: Map<string, string>,
): DetectorLoadOptions {
  const given = flags.explicit ?? {};
  const refused = NEW_ENSEMBLE_FLAGS.flatMap((f) => given[f] ?? []);
  if (models.size > 0) refused.push(`--model ${[...models.keys()].map((k) => `${k}=...`).join(' ')}`);
  if (refused.length > 0) {
    throw new InvalidOptionsError(
      refused[0]!.split(' ')[0]!,
      `${refused.join(', ')} cannot be used with the fitted model ${fitted}: it fixes its detectors and models (fit again to change them). Next to a fitted file, --threshold, --prior, --model-dir, --threads and --device apply.`,
    );
  }
  const threshold = parseThreshold(flags.threshold);
  const threads = parseThreads(flags.threads);
  return {
    ...(threshold !== undefined && { threshold }),
    ...(flags.prior !== undefined && { prior: parsePrior(flags.prior) }),
    ...(flags.modelDir !== undefined && { modelDir: flags.modelDir }),
    ...(threads !== undefined && { threads }),
    ...(flags.device !== undefined && { device: flags.device }),
  };
}

/**
 * Builds what the flags describe: the fitted model from `--model fitted.json` (with `--threshold`, `--prior`,
 * `--model-dir`, `--threads` and `--device` applied), or a new ensemble.
 */
export async function detectorFromFlags(
  flags: DetectorFlags,
  options: DetectorFromFlagsOptions = {},
): Promise<Detector> {
  const { fitted, models } = parseModelFlags(flags.model);
  if (fitted) return detectorFromFile(fitted, fittedLoadOptions(flags, fitted, models));
  const spec = ensembleSpecFromFlags(flags);
  return createEnsemble({
    ...spec,
    detectors: spec.detectors.map((d) =>
      // onProgress is a runtime option, not part of the JSON spec: createDetector hands it to the model loader.
      options.onProgress && d.type !== 'heuristic'
        ? ({ ...d, onProgress: options.onProgress } as DetectorSpec)
        : d,
    ),
  });
}

/** The new ensemble the flags describe (`--strategy`, `--novelty-guard`, `--threshold`, the detectors), as plain data. */
export function ensembleSpecFromFlags(flags: DetectorFlags): EnsembleSpec {
  const threshold = parseThreshold(flags.threshold);
  return {
    strategy: flags.strategy,
    ...(flags.noveltyGuard !== undefined && { noveltyGuard: flags.noveltyGuard }),
    ...(flags.memberPrefixCuts !== undefined && {
      memberPrefixCuts: parsePrefixCuts(flags.memberPrefixCuts),
    }),
    ...(flags.memberPrefixCutShare !== undefined && {
      memberPrefixCutShare: parseCutShare(flags.memberPrefixCutShare),
    }),
    ...(flags.memberFeatures === false && { memberFeatures: false }),
    ...(flags.prior !== undefined && { prior: parsePrior(flags.prior) }),
    detectors: specsFromFlags(flags),
    ...(threshold !== undefined && { threshold }),
  };
}

/** `--prior`: a number in (0, 1). */
function parsePrior(v: string): number {
  return parseShare('--prior', v, OPEN_SHARE, 'the share of bots expected where the ensemble is used');
}

/** `--member-prefix-cut-share`: a number in (0, 1]. */
function parseCutShare(v: string): number {
  return parseShare(
    '--member-prefix-cut-share',
    v,
    NONZERO_SHARE,
    'the share of training transcripts whose cuts the members learn from',
  );
}

/**
 * A share given on the command line, in `range` ((0, 1) or (0, 1]), through {@link parseNumberFlag}.
 *
 * @param flag - the flag, for the error
 * @param v - its value
 * @param range - where the share must lie
 * @param what - what the share is of, for the error
 */
function parseShare(flag: string, v: string, range: NumberRange, what: string): number {
  return parseNumberFlag(
    flag,
    v,
    range,
    () => `got "${v}"; give ${what}, in ${formatRange(range)}, e.g. 0.5`,
  );
}

/**
 * `--rare-buckets`: `N[,drop|shrink][,any|eachClass]` as the embedding detector's `rareBuckets` option. An N
 * below 2 (the detector's own rule, which the spec check applies too) is refused here, naming `--rare-buckets`.
 *
 * @param v - the flag's value
 * @throws InvalidOptionsError naming `--rare-buckets`
 */
function parseRareBuckets(v: string): EmbeddingRareBucketOptions {
  const message = () =>
    `got "${v}"; give the fewest training conversations a hashed position must occur in (a whole number, 2 or more), then optionally drop or shrink and any or eachClass, e.g. 10,eachClass`;
  const [first = '', ...words] = v.split(',').map((w) => w.trim());
  const rule: EmbeddingRareBucketOptions = {
    minConversations: parseNumberFlag('--rare-buckets', first, RARE_BUCKET_MIN, message),
  };
  for (const w of words) {
    if ((w === 'drop' || w === 'shrink') && rule.action === undefined) rule.action = w;
    else if ((w === 'any' || w === 'eachClass') && rule.count === undefined) rule.count = w;
    else throw new InvalidOptionsError('--rare-buckets', message());
  }
  return rule;
}

/** `--rare-buckets` N: a whole number, 2 or more (1 would keep every position). */
const RARE_BUCKET_MIN: NumberRange = { min: 2, max: Number.POSITIVE_INFINITY, integer: true };

/** One `--member-prefix-cuts` value: a positive whole number. */
const PREFIX_CUT: NumberRange = { min: 1, max: Number.POSITIVE_INFINITY, integer: true };

/** `--member-prefix-cuts`: "none" or comma-separated positive integers. */
function parsePrefixCuts(v: string): number[] {
  if (v.trim() === 'none') return [];
  return v
    .split(',')
    .map((x) =>
      parseNumberFlag(
        '--member-prefix-cuts',
        x.trim(),
        PREFIX_CUT,
        () => `got "${v}"; give comma-separated positive integers such as 1,2,3,5,8, or "none"`,
      ),
    );
}
