import { type Command, Option } from 'commander';
import type { Detector } from '../core/detector.js';
import type { DetectorLoadOptions } from '../detectors/descriptor.js';
import { registeredDetectorTypes } from '../detectors/detector-registry.js';
import { ENSEMBLE_PRESET_NAMES, ENSEMBLE_PRESETS } from '../detectors/ensemble-presets.js';
import { checkModelDir, createEnsemble, detectorFromFile } from '../detectors/registry.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import {
  type DetectorFlags,
  ensembleSpecFromFlags,
  modelPairsFlag,
  parseModelFlags,
  parsePrior,
  parseThreads,
  parseThreshold,
} from '../flags/ensemble-flags.js';
import type { LoadProgress } from '../runtime/model-options.js';
import { ARG } from './flag-parsers.js';
import { usageChecks } from './usage-error.js';

export {
  type DetectorFlags,
  ENSEMBLE_FIELD_FLAGS,
  ensembleSpecFromFlags,
  modelPairsFlag,
  parseModelFlags,
  parseThreshold,
  RUNTIME_FLAGS,
  specsFromFlags,
} from '../flags/ensemble-flags.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Where `--preset` builds what the command runs: `fit` fits it; `eval` fits it with `--fit`; `detect` and `score`
 * only score, so they take a fitted preset as `--model fitted.json` and refuse `--preset` unfitted (see
 * `refuseUnfittedSpec`).
 */
export type PresetUse = 'fit' | 'eval' | 'fitted-only';

/** The `--preset` help line of a command, by {@link PresetUse}. */
function presetHelp(use: PresetUse): string {
  const presets = ENSEMBLE_PRESET_NAMES.map((n) => `${n}: ${ENSEMBLE_PRESETS[n].description}`).join('; ');
  if (use === 'fitted-only') {
    return `for fit and eval --fit, not here: a preset must be fitted before it scores, so fit it (botlens fit --preset NAME --data train.jsonl --out fitted.json) and pass --model fitted.json (presets: ${presets})`;
  }
  return `${use === 'eval' ? 'with --fit: ' : ''}a named ensemble instead of --detectors and --strategy (${presets})`;
}

/**
 * The `--strategy` of an ensemble that is fitted before it scores, when none is given: `botlens fit` and
 * `botlens eval --fit` build the same ensemble from the same flags.
 */
export const FIT_STRATEGY: DetectorFlags['strategy'] = 'stacking';

/**
 * Adds the shared detector flags to a command.
 *
 * @param cmd - the command
 * @param defaults - its `--strategy` default, how it uses `--preset` (its help line says so), and `fitFlag`: the
 *   flag (`fit` for `eval --fit`) with which the command fits the ensemble first, so that `--strategy` then
 *   defaults to {@link FIT_STRATEGY}
 */
export function addDetectorFlags(
  cmd: Command,
  defaults: { strategy: DetectorFlags['strategy']; preset: PresetUse; fitFlag?: string },
): Command {
  // Record which flags the user gave, so those that cannot apply to a fitted file are refused, not ignored.
  cmd.hook('preAction', async (_self, action) => {
    // A fit first (eval --fit): the strategy `botlens fit` would use, unless one was given.
    if (
      defaults.fitFlag !== undefined &&
      action.getOptionValue(defaults.fitFlag) !== undefined &&
      action.getOptionValueSource('strategy') === 'default'
    )
      action.setOptionValueWithSource('strategy', FIT_STRATEGY, 'default');
    // Before any file is read or model loaded, for every detector (a heuristic alone loads no model, yet a
    // mistyped --model-dir is still an error).
    await checkModelDir(action.getOptionValue('modelDir'), '--model-dir');
    const given = action.options
      .filter((o) => action.getOptionValueSource(o.attributeName()) === 'cli')
      .map((o) => [o.attributeName(), o.long ?? o.flags]);
    action.setOptionValue('explicit', Object.fromEntries(given));
    // A combination the flags refuse (--prior with --strategy weighted-mean, --detectors next to --preset or a
    // fitted file) is a usage error, exit 2, before anything is read or loaded.
    usageChecks(action, () => checkDetectorFlags(action.opts<DetectorFlags>()));
  });
  return cmd
    .addOption(new Option('--preset <name>', presetHelp(defaults.preset)).choices(ENSEMBLE_PRESET_NAMES))
    .option(
      '--detectors <list>',
      `comma-separated detectors: ${registeredDetectorTypes().join(', ')}`,
      ARG.detectors,
      'heuristic',
    )
    .addOption(
      new Option('--strategy <name>', 'how the ensemble combines detectors')
        .choices(['weighted-mean', 'stacking', 'cascade'])
        .default(
          defaults.strategy,
          defaults.fitFlag === undefined
            ? undefined
            : `${defaults.strategy}; ${FIT_STRATEGY} with --${defaults.fitFlag}, as botlens fit`,
        ),
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
      ARG.prefixCuts,
    )
    .option(
      '--member-prefix-cut-share <share>',
      'stacking: the share of training transcripts, in (0, 1], whose --member-prefix-cuts cuts the members learn from [default: 0.25]',
      ARG.cutShare,
    )
    .option(
      '--no-member-features',
      "stacking: do not let the combiner learn on the members' named features (the heuristic's per-signal terms)",
    )
    .option(
      '--prior <share>',
      'stacking: the share of bots expected where the ensemble is used, in (0, 1), when it differs from the training data (0.5 = no assumption) [default: the training share]',
      ARG.prior,
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
      ARG.rareBuckets,
    )
    .option(
      '--knn-stop-share <share>',
      'embedding, hashing embedder only (with --embedder hashing): leave hashed positions used by more than this share of the labelled vectors (common n-grams) out of the kNN vote, in (0, 1]; 1 leaves nothing out; set at fit [default: 1]',
      ARG.knnStopShare,
    )
    .addOption(new Option('--dtype <dtype>', 'model weight variant').choices(['fp32', 'fp16', 'q8', 'q4']))
    .option('--threshold <p>', 'P(bot) at or above which the label is bot', ARG.threshold)
    .option(
      '--threads <n>',
      "intra-op threads per model (default: ONNX Runtime's, one per physical core)",
      ARG.threads,
    )
    .addOption(
      new Option('--device <device>', 'where models run (auto, gpu and cuda fall back to the CPU)').choices([
        'cpu',
        'auto',
        'gpu',
        'cuda',
      ]),
    );
}

/** Options for {@link detectorFromFlags}. */
export interface DetectorFromFlagsOptions {
  /** Model-loading events of the model-backed members (downloads included), for a progress bar. */
  onProgress?: (p: LoadProgress) => void;
}

/** The commands that score without fitting what the flags describe (`eval` fits it with `--fit`). */
export type ScoringCommand = 'detect' | 'score' | 'eval';

/** Flags that describe a new ensemble, so they cannot apply to a fitted file. */
export const NEW_ENSEMBLE_FLAGS = [
  'preset',
  'detectors',
  'strategy',
  'noveltyGuard',
  'memberPrefixCuts',
  'memberPrefixCutShare',
  'memberFeatures',
  'embedder',
  'rareBuckets',
  'knnStopShare',
  'dtype',
] as const;

/**
 * The flags given on the command line that describe a new ensemble ({@link NEW_ENSEMBLE_FLAGS}, then `--model
 * NAME=...` when NAME=ID pairs were given), as spelled: what a fitted file refuses, and what a user replaces with
 * `--model fitted.json`.
 *
 * @param flags - the detector flags
 * @param models - the NAME=ID pairs of `--model`
 */
export function ensembleFlagsGiven(flags: DetectorFlags, models: Map<string, string>): string[] {
  const given = flags.explicit ?? {};
  const described = NEW_ENSEMBLE_FLAGS.flatMap((f) => given[f] ?? []);
  if (models.size > 0) described.push(modelPairsFlag(models));
  return described;
}

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
  const refused = ensembleFlagsGiven(flags, models);
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
 * Checks the detector flags as a whole, from the command line alone (no file is read): the new ensemble they
 * describe ({@link ensembleSpecFromFlags}: a flag its strategy has no use for, one a `--preset` fixes, a member
 * option without its member), or the flags given next to `--model fitted.json` ({@link fittedLoadOptions}).
 *
 * @param flags - the detector flags, `explicit` set
 * @throws InvalidOptionsError naming the first flag at fault
 */
export function checkDetectorFlags(flags: DetectorFlags): void {
  const { fitted, models } = parseModelFlags(flags.model);
  if (fitted) fittedLoadOptions(flags, fitted, models);
  else ensembleSpecFromFlags(flags);
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
  // onProgress is a setting of this run, not part of the JSON spec: the loaders of the models get it.
  if (fitted) return detectorFromFile(fitted, { ...fittedLoadOptions(flags, fitted, models), ...options });
  return createEnsemble(ensembleSpecFromFlags(flags), options);
}
