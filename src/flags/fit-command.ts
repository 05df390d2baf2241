import { isDeepStrictEqual } from 'node:util';
import type { DeepReadonly } from '../core/deep-readonly.js';
import type { DetectorCliFlag } from '../detectors/descriptor.js';
import type { EnsembleSpec } from '../detectors/detector-spec.js';
import { ENSEMBLE_PRESET_NAMES, ENSEMBLE_PRESETS } from '../detectors/ensemble-presets.js';
import { parseDetectorSpec } from '../detectors/registry.js';
import {
  type DetectorFlags,
  ENSEMBLE_FIELD_FLAGS,
  ensembleSpecFromFlags,
  RUNTIME_FLAGS,
} from './ensemble-flags.js';
import { shellWord } from './shell-word.js';

/** Where a printed fit command reads its training data and writes the fitted file. */
const FIT_IO = '--data train.jsonl --out fitted.json';

/** The member options a `botlens fit` flag sets (to every member whose type takes it), in the command's order. */
const MEMBER_FLAGS = {
  embedder: '--embedder',
  rareBuckets: '--rare-buckets',
  knnStopShare: '--knn-stop-share',
  dtype: '--dtype',
  model: '--model',
  modelDir: '--model-dir',
  threads: '--threads',
  device: '--device',
} as const satisfies Record<DetectorCliFlag, string>;

/** A `botlens fit` command line being written: the flags as the CLI parses them, and as words to print. */
interface FitCommandLine {
  readonly flags: DetectorFlags;
  readonly words: string[];
}

function commandLine(first: Partial<DetectorFlags>): FitCommandLine {
  return {
    flags: { detectors: 'heuristic', strategy: 'stacking', model: [], explicit: {}, ...first },
    words: [],
  };
}

/** Adds `flag value` (or `flag` alone for a `true` switch) to the command line, as the CLI records it. */
function addFlag(line: FitCommandLine, key: keyof DetectorFlags, flag: string, value: string | false): void {
  const flags = line.flags as unknown as Record<string, unknown>;
  flags['explicit'] = { ...line.flags.explicit, [key]: flag };
  if (key === 'model') line.flags.model.push(value as string);
  else flags[key] = value;
  line.words.push(value === false ? flag : `${flag} ${shellWord(value)}`);
}

/**
 * The ensemble fields whose default no flag value gives (`--no-member-features` only turns member features off): a
 * spec that sets one to its default is printed without the flag, which builds the same ensemble.
 */
const FLAGLESS_DEFAULTS: Readonly<Partial<Record<keyof typeof ENSEMBLE_FIELD_FLAGS, unknown>>> = {
  memberFeatures: true,
};

/** An ensemble field's value as its flag takes it; undefined where no flag value gives it. */
function fieldFlagValue(key: keyof typeof ENSEMBLE_FIELD_FLAGS, v: unknown): string | false | undefined {
  if (key === 'memberFeatures') return v === false ? false : undefined;
  if (key === 'memberPrefixCuts')
    return Array.isArray(v) ? (v.length === 0 ? 'none' : v.join(',')) : undefined;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** A member option's value as its flag takes it (`--rare-buckets N,action,count`); undefined where none gives it. */
function memberFlagValue(key: DetectorCliFlag, v: unknown): string | undefined {
  if (key === 'rareBuckets' && typeof v === 'object' && v !== null) {
    const r = v as { minConversations?: unknown; action?: unknown; count?: unknown };
    return [r.minConversations, r.action, r.count].filter((x) => x !== undefined).join(',');
  }
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/**
 * Adds the flags for the ensemble fields of `spec` (those `skip` does not set) and the member options `options`
 * lists, each member option once (`--model NAME=ID` once per type). False when a field or option has no flag.
 */
function addSpecFlags(
  line: FitCommandLine,
  spec: DeepReadonly<EnsembleSpec>,
  skip: Readonly<Record<string, unknown>>,
  options: readonly DetectorCliFlag[],
): boolean {
  const fields = spec as Readonly<Record<string, unknown>>;
  const noFlag = Object.keys(spec).some(
    (k) => k !== 'detectors' && skip[k] === undefined && !(k in ENSEMBLE_FIELD_FLAGS),
  );
  if (noFlag) return false;
  for (const [key, flag] of Object.entries(ENSEMBLE_FIELD_FLAGS)) {
    const k = key as Exclude<keyof typeof ENSEMBLE_FIELD_FLAGS, 'strategy'>;
    if (key === 'strategy' || fields[key] === undefined || skip[key] !== undefined) continue;
    if (fields[key] === FLAGLESS_DEFAULTS[k]) continue;
    const v = fieldFlagValue(k, fields[key]);
    if (v === undefined) return false;
    addFlag(line, k, flag, v);
  }
  const written = new Set<string>();
  for (const key of options) {
    for (const d of spec.detectors) {
      const value = (d as Readonly<Record<string, unknown>>)[key];
      if (value === undefined) continue;
      const v = memberFlagValue(key, value);
      if (v === undefined) return false;
      const word = key === 'model' ? `${d.type}=${v}` : v;
      if (written.has(`${key} ${word}`)) continue;
      written.add(`${key} ${word}`);
      addFlag(line, key, MEMBER_FLAGS[key], word);
    }
  }
  return true;
}

/**
 * `spec` as the ensemble it builds sees it, so that two specs that build the same ensemble compare equal: the fields
 * in {@link FLAGLESS_DEFAULTS} left out where they hold their default, and each member's options as its type parses
 * them (defaults applied: a `name` equal to the type, a `threshold` of 0.5).
 */
function builtForm(spec: DeepReadonly<EnsembleSpec>): unknown {
  const fields = Object.entries(spec).filter(
    ([k, v]) => k !== 'detectors' && v !== FLAGLESS_DEFAULTS[k as keyof typeof FLAGLESS_DEFAULTS],
  );
  const detectors = spec.detectors.map((d) => ({ type: d.type, ...parseDetectorSpec(d).options }));
  return JSON.parse(JSON.stringify({ ...Object.fromEntries(fields), detectors }));
}

/**
 * The command line when the flags it holds build `spec` (the CLI parses them back to check: the same spec, up to
 * values equal to their defaults), else none.
 */
function checked(line: FitCommandLine, spec: DeepReadonly<EnsembleSpec>): string | undefined {
  try {
    return isDeepStrictEqual(builtForm(ensembleSpecFromFlags(line.flags)), builtForm(spec))
      ? ['botlens fit', ...line.words, FIT_IO].join(' ')
      : undefined;
  } catch {
    return undefined;
  }
}

/** `--preset NAME` and the flags for what the preset leaves open, when they build `spec`. */
function presetCommand(spec: DeepReadonly<EnsembleSpec>): FitCommand | undefined {
  for (const name of ENSEMBLE_PRESET_NAMES) {
    const preset = ENSEMBLE_PRESETS[name].spec;
    if (spec.strategy !== preset.strategy || spec.detectors.length !== preset.detectors.length) continue;
    const line = commandLine({ preset: name });
    line.words.push(`--preset ${name}`);
    if (!addSpecFlags(line, spec, preset, RUNTIME_FLAGS)) continue;
    const command = checked(line, spec);
    if (command !== undefined) return { command, groupedFit: ENSEMBLE_PRESETS[name].groupedFit };
  }
  return undefined;
}

/** `--detectors`, `--strategy` and the flags for the other fields and member options, when they build `spec`. */
function flagsCommand(spec: DeepReadonly<EnsembleSpec>): string | undefined {
  const types = spec.detectors.map((d) => d.type).join(',');
  const line = commandLine({ detectors: types, strategy: spec.strategy });
  addFlag(line, 'detectors', '--detectors', types);
  addFlag(line, 'strategy', '--strategy', spec.strategy);
  const options = Object.keys(MEMBER_FLAGS) as DetectorCliFlag[];
  return addSpecFlags(line, spec, {}, options) ? checked(line, spec) : undefined;
}

/** A `botlens fit` command line that fits a spec; see {@link fitCommand}. */
export interface FitCommand {
  /** The command, as a shell runs it, reading `train.jsonl` and writing `fitted.json`. */
  readonly command: string;
  /**
   * Whether it fits a preset meant to be fitted with `--group-by FIELD` when the data mixes populations
   * (`EnsemblePreset.groupedFit`).
   */
  readonly groupedFit: boolean;
}

/**
 * The `botlens fit` command that fits exactly the ensemble `spec` describes, reading `train.jsonl` and writing
 * `fitted.json`, as a shell would run it: `--preset NAME` (with the flags for what the preset leaves open) when
 * the spec is a preset's, else `--detectors`, `--strategy` and the flags for its other fields and member options.
 * Every candidate is parsed back by the CLI's own flag parser and kept only when it builds the same spec, up to
 * values equal to their defaults (`memberFeatures: true`, which no flag gives, is left out; a member's `name` equal
 * to its type or its default `threshold` needs no flag); undefined when no flags can (a member's own `name` or
 * `l2`, `weights`, two members of a type with different options, ...).
 *
 * @param spec - an ensemble spec
 * @internal
 */
export function fitCommand(spec: DeepReadonly<EnsembleSpec>): FitCommand | undefined {
  const preset = presetCommand(spec);
  if (preset !== undefined) return preset;
  const command = flagsCommand(spec);
  return command === undefined ? undefined : { command, groupedFit: false };
}

/** The hint added after a command that fits a preset meant for grouped fits. */
export const GROUP_BY_HINT = 'adding --group-by FIELD when the data mixes populations';

/**
 * How to fit the ensemble `spec` describes, as a clause for a message that refuses to score it unfitted: the
 * {@link fitCommand} (with a `--group-by FIELD` hint for a preset meant for grouped fits) or, where no command
 * line builds it, the in-code path: `createEnsemble(spec)`, `await ensemble.fit(examples)`, and the file written
 * from `ensemble.toJSON()`. Used by the CLI, the service and the corpus scorers alike.
 *
 * @param spec - an ensemble spec
 * @internal
 */
export function howToFit(spec: DeepReadonly<EnsembleSpec>): string {
  const fit = fitCommand(spec);
  if (fit === undefined) {
    return 'in code, as botlens fit flags cannot give all its options: `const ensemble = await createEnsemble(spec); await ensemble.fit(examples)`, then write `JSON.stringify(ensemble.toJSON())` to fitted.json';
  }
  return fit.groupedFit ? `${fit.command}, ${GROUP_BY_HINT}` : fit.command;
}
