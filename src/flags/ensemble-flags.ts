import { existsSync } from 'node:fs';
import type { DeepReadonly } from '../core/deep-readonly.js';
import {
  formatRange,
  NONZERO_SHARE,
  type NumberRange,
  OPEN_SHARE,
  PROBABILITY,
} from '../core/number-range.js';
import type { DetectorCliFlag } from '../detectors/descriptor.js';
import { descriptorForType, registeredDetectorTypes } from '../detectors/detector-registry.js';
import { type DetectorSpec, detectorSpecSchema, type EnsembleSpec } from '../detectors/detector-spec.js';
import type { EmbeddingRareBucketOptions } from '../detectors/embedding/options.js';
import { type EnsemblePreset, ensemblePreset } from '../detectors/ensemble-presets.js';
import { refuseOptionsFor } from '../ensemble/strategy-options.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { parseNumberFlag } from './parse-number.js';

/*
 * The shared detector flags of `detect`, `eval`, `fit` and `score` as plain values, and the specs they describe:
 * no command-line parser here, so the service and the corpus scorers can write (and check) a `botlens fit`
 * command for a spec without loading the CLI.
 */

/**
 * The detector-building flags shared by `detect`, `eval`, `fit` and `score` (`serve` reads its ensemble from
 * --config).
 */
export interface DetectorFlags {
  /** `--preset`: a named ensemble (`ENSEMBLE_PRESETS`) in place of `--detectors`, `--strategy` and their options. */
  preset?: string;
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
  /**
   * `--knn-stop-share`: the embedding detector's `knnStopShare`, the share of labelled vectors above which a
   * hashed position is left out of the kNN vote, in (0, 1].
   */
  knnStopShare?: string;
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

/** Parses `--threads`. @internal */
export function parseThreads(value: string | undefined): number | undefined {
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
    knnStopShare: flags.knnStopShare === undefined ? undefined : parseKnnStopShare(flags.knnStopShare),
  };
  return values;
}

/**
 * Parses `--detectors`: comma-separated detector types, each registered (blanks around names are dropped).
 *
 * @param value - the flag's value
 * @returns the names, in order
 * @throws InvalidOptionsError naming `--detectors` for an empty list or a name that is not a detector
 * @internal
 */
export function parseDetectorList(value: string): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new InvalidOptionsError(
      '--detectors',
      `list at least one of ${registeredDetectorTypes().join(', ')}`,
    );
  const types = new Set(registeredDetectorTypes());
  const unknown = names.find((n) => !types.has(n));
  if (unknown !== undefined)
    throw new InvalidOptionsError(
      '--detectors',
      `"${unknown}" is not a detector; use one of ${[...types].join(', ')}`,
    );
  return names;
}

/** The detector specs the flags describe. */
export function specsFromFlags(flags: DetectorFlags): DetectorSpec[] {
  const { models } = parseModelFlags(flags.model);
  const names = parseDetectorList(flags.detectors);
  parseThreads(flags.threads);
  const specs = names.map((type) => {
    const applies: readonly DetectorCliFlag[] = descriptorForType(type).cliFlags ?? [];
    const values = flagValues(flags, models, type);
    if (
      applies.includes('knnStopShare') &&
      values.knnStopShare !== undefined &&
      values.embedder !== 'hashing'
    ) {
      throw new InvalidOptionsError(
        '--knn-stop-share',
        `applies to the hashing embedder only (it leaves common hashed n-grams out of the kNN vote; the ${String(values.embedder ?? 'transformers')} embedder's dense vectors use every position): add --embedder hashing, or leave --knn-stop-share out`,
      );
    }
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
  for (const [key, flag] of Object.entries(EMBEDDING_FLAGS)) {
    if (
      flags[key as keyof typeof EMBEDDING_FLAGS] !== undefined &&
      !specs.some((s) => s[key] !== undefined)
    ) {
      throw new InvalidOptionsError(
        flag,
        `applies to the embedding detector, which --detectors ${flags.detectors} does not list: add embedding, or leave the flag out`,
      );
    }
  }
  return specs;
}

/** The flags that set an option of the embedding detector alone, by the spec field each sets. */
const EMBEDDING_FLAGS = {
  rareBuckets: '--rare-buckets',
  knnStopShare: '--knn-stop-share',
} as const satisfies Partial<Record<keyof DetectorFlags, string>>;

/** `--model NAME=...` as given, for errors that refuse the NAME=ID pairs. */
export function modelPairsFlag(models: Map<string, string>): string {
  return `--model ${[...models.keys()].map((k) => `${k}=...`).join(' ')}`;
}

/**
 * The new ensemble the flags describe (`--preset`, or `--strategy`, `--novelty-guard`, `--threshold` and the
 * detectors), as plain data.
 *
 * @throws InvalidOptionsError for a bad flag, or a flag that sets what `--preset` fixes
 */
export function ensembleSpecFromFlags(flags: DetectorFlags): EnsembleSpec {
  const spec =
    flags.preset !== undefined
      ? presetSpecFromFlags(flags, ensemblePreset(flags.preset, '--preset'))
      : { strategy: flags.strategy, ...ensembleSpecFields(flags), detectors: specsFromFlags(flags) };
  // A flag the strategy has no use for (--member-prefix-cuts with --strategy weighted-mean) is refused by its
  // name, before any data is read, rather than ignored or reported later under the library option's name.
  refuseOptionsFor(spec, spec.strategy, ENSEMBLE_FIELD_FLAGS);
  return spec;
}

/**
 * The ensemble-level flags by the {@link EnsembleSpec} field each sets: next to `--preset`, a flag applies when
 * the preset leaves its field unset and is refused when the preset sets it.
 */
export const ENSEMBLE_FIELD_FLAGS = {
  strategy: '--strategy',
  noveltyGuard: '--novelty-guard',
  memberPrefixCuts: '--member-prefix-cuts',
  memberPrefixCutShare: '--member-prefix-cut-share',
  memberFeatures: '--no-member-features',
  prior: '--prior',
  threshold: '--threshold',
} as const satisfies Partial<Record<keyof EnsembleSpec, string>>;

/**
 * The flags that choose the members or their options, which a preset fixes (the runtime flags apply). Each but
 * `--detectors` (which always holds a value) is given when it holds one.
 */
const MEMBER_FLAGS = {
  detectors: '--detectors',
  embedder: '--embedder',
  rareBuckets: '--rare-buckets',
  knnStopShare: '--knn-stop-share',
  dtype: '--dtype',
} as const;

/**
 * The ensemble `--preset` names, with the flags that set what the preset leaves open (a threshold, a novelty
 * guard, member prefix cuts) and the runtime flags (`--model-dir`, `--threads`, `--device`) applied to the
 * members that take them (they reach only members that run a model). A flag that sets what the preset fixes (its members, their options, its strategy, its
 * prior) is refused, never silently overridden or ignored. `--detectors` and `--strategy` always hold a value
 * (their defaults): they count as given when `explicit` lists them.
 *
 * @param flags - the detector flags, `preset` among them
 * @param preset - the preset they name
 * @throws InvalidOptionsError naming the first conflicting flag and listing all of them
 */
function presetSpecFromFlags(flags: DetectorFlags, preset: EnsemblePreset): EnsembleSpec {
  const explicit = flags.explicit ?? {};
  const fields = preset.spec as Record<string, unknown>;
  const { models } = parseModelFlags(flags.model);
  const own = ensembleSpecFields(flags);
  const refused: string[] = Object.entries(MEMBER_FLAGS).flatMap(([k, f]) =>
    (k === 'detectors' ? k in explicit : flags[k as keyof typeof MEMBER_FLAGS] !== undefined) ? [f] : [],
  );
  if (models.size > 0) refused.push(modelPairsFlag(models));
  if ('strategy' in explicit && fields['strategy'] !== undefined) refused.push(ENSEMBLE_FIELD_FLAGS.strategy);
  for (const k of Object.keys(own) as (keyof typeof own)[]) {
    if (fields[k] !== undefined) refused.push(ENSEMBLE_FIELD_FLAGS[k as keyof typeof ENSEMBLE_FIELD_FLAGS]);
  }
  if (refused.length > 0) {
    const fixed = Object.keys(ENSEMBLE_FIELD_FLAGS)
      .filter((k) => fields[k] !== undefined)
      .map((k) => `${k} ${JSON.stringify(fields[k])}`);
    const open = Object.entries(ENSEMBLE_FIELD_FLAGS).flatMap(([k, f]) =>
      fields[k] === undefined ? [f] : [],
    );
    throw new InvalidOptionsError(
      refused[0]!.split(' ')[0]!,
      `${refused.join(', ')} cannot be used with --preset ${flags.preset}: it fixes the detectors (${preset.spec.detectors.map((d) => d.type).join(', ')}) and their options, ${fixed.join(', ')}. Leave ${refused.length === 1 ? 'it' : 'them'} out, or describe the ensemble with --detectors and --strategy instead of --preset. Next to --preset, ${open.join(', ')} apply; ${RUNTIME_FLAG_NAMES} reach only members that run a model${preset.spec.detectors.some(runsModel) ? '' : `, and ${flags.preset} has none`}.`,
    );
  }
  const spec = structuredClone(preset.spec) as EnsembleSpec;
  parseThreads(flags.threads);
  const detectors = spec.detectors.map((d) => {
    const values = flagValues(flags, models, d.type);
    const raw: Record<string, unknown> = { ...d };
    for (const f of descriptorForType(d.type).cliFlags ?? []) {
      if (RUNTIME_FLAGS.includes(f) && values[f] !== undefined) raw[f] = values[f];
    }
    return raw as DetectorSpec;
  });
  return { ...spec, ...own, detectors };
}

/**
 * The shared flags that say where and how models run, not which: next to `--preset` they go to the members that
 * take them, and reach only those that run a model.
 */
export const RUNTIME_FLAGS: readonly DetectorCliFlag[] = ['modelDir', 'threads', 'device'];

/** {@link RUNTIME_FLAGS} as spelled on the command line, for messages. */
const RUNTIME_FLAG_NAMES = '--model-dir, --threads and --device';

/**
 * Whether a member spec runs a model: its type takes `--model` and it is not given the hashing embedder (which
 * hashes words, with no model).
 */
function runsModel(d: DeepReadonly<DetectorSpec>): boolean {
  return (descriptorForType(d.type).cliFlags ?? []).includes('model') && d['embedder'] !== 'hashing';
}

/** The ensemble-level fields the flags set (`--strategy` left out: it always holds a value). */
function ensembleSpecFields(
  flags: DetectorFlags,
): Partial<Pick<EnsembleSpec, Exclude<keyof typeof ENSEMBLE_FIELD_FLAGS, 'strategy'>>> {
  const threshold = parseThreshold(flags.threshold);
  return {
    ...(flags.noveltyGuard !== undefined && { noveltyGuard: flags.noveltyGuard }),
    ...(flags.memberPrefixCuts !== undefined && {
      memberPrefixCuts: parsePrefixCuts(flags.memberPrefixCuts),
    }),
    ...(flags.memberPrefixCutShare !== undefined && {
      memberPrefixCutShare: parseCutShare(flags.memberPrefixCutShare),
    }),
    ...(flags.memberFeatures === false && { memberFeatures: false }),
    ...(flags.prior !== undefined && { prior: parsePrior(flags.prior) }),
    ...(threshold !== undefined && { threshold }),
  };
}

/** `--prior`: a number in (0, 1). */
export function parsePrior(v: string): number {
  return parseShare('--prior', v, OPEN_SHARE, 'the share of bots expected where the ensemble is used');
}

/** `--member-prefix-cut-share`: a number in (0, 1]. @internal */
export function parseCutShare(v: string): number {
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
 * @param example - a value to suggest in the error
 * @defaultValue example: `0.5`
 */
function parseShare(flag: string, v: string, range: NumberRange, what: string, example = '0.5'): number {
  return parseNumberFlag(
    flag,
    v,
    range,
    () => `got "${v}"; give ${what}, in ${formatRange(range)}, e.g. ${example}`,
  );
}

/**
 * `--rare-buckets`: `N[,drop|shrink][,any|eachClass]` as the embedding detector's `rareBuckets` option. An N
 * below 2 (the detector's own rule, which the spec check applies too) is refused here, naming `--rare-buckets`.
 *
 * @param v - the flag's value
 * @throws InvalidOptionsError naming `--rare-buckets`
 */
export function parseRareBuckets(v: string): EmbeddingRareBucketOptions {
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

/**
 * `--knn-stop-share`: the embedding detector's `knnStopShare`, a number in (0, 1] (1 leaves nothing out), through
 * {@link parseNumberFlag}.
 *
 * @param v - the flag's value
 * @throws InvalidOptionsError naming `--knn-stop-share`
 */
export function parseKnnStopShare(v: string): number {
  return parseShare(
    '--knn-stop-share',
    v,
    NONZERO_SHARE,
    'the share of labelled vectors above which a hashed position is left out of the kNN vote (1 leaves nothing out)',
    '0.1',
  );
}

/** `--rare-buckets` N: a whole number, 2 or more (1 would keep every position). */
const RARE_BUCKET_MIN: NumberRange = { min: 2, max: Number.POSITIVE_INFINITY, integer: true };

/** One `--member-prefix-cuts` value: a positive whole number. */
const PREFIX_CUT: NumberRange = { min: 1, max: Number.POSITIVE_INFINITY, integer: true };

/** `--member-prefix-cuts`: "none" or comma-separated positive integers. @internal */
export function parsePrefixCuts(v: string): number[] {
  if (v.trim() === 'none') return [];
  const cuts = v
    .split(',')
    .map((x) =>
      parseNumberFlag(
        '--member-prefix-cuts',
        x.trim(),
        PREFIX_CUT,
        () => `got "${v}"; give comma-separated positive integers such as 1,2,3,5,8, or "none"`,
      ),
    );
  // As the fit checks them (checkPrefixCuts), here while the command line is parsed: a usage error.
  if (new Set(cuts).size < cuts.length)
    throw new InvalidOptionsError('--member-prefix-cuts', `got "${v}"; list each count once`);
  return cuts;
}
