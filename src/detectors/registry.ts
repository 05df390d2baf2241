import { readFile, stat } from 'node:fs/promises';
import type { z } from 'zod';
import type { DeepReadonly } from '../core/deep-readonly.js';
import { describeValue } from '../core/describe-value.js';
import type { Detector, DetectorState } from '../core/detector.js';
import { checkStateVersion } from '../core/detector-kit.js';
import { describeRange, inRange, PROBABILITY } from '../core/number-range.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { withoutBom } from '../core/without-bom.js';
import type { Ensemble } from '../ensemble/ensemble.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { absoluteDir } from '../runtime/local-path.js';
import { type LoadProgress, MODEL_RELOCATION_KEYS, type ModelRelocation } from '../runtime/model-options.js';
import {
  checkSpecificationVersion,
  type DetectorCreateContext,
  type DetectorDescriptor,
  type DetectorLoadOptions,
} from './descriptor.js';
import { descriptorForKind, descriptorForType, ENSEMBLE_KIND } from './detector-registry.js';
import { type DetectorSpec, type EnsembleSpec, ensembleSpecSchema } from './detector-spec.js';

/** Every key of an {@link EnsembleSpec}, from its schema. */
const ENSEMBLE_SPEC_KEYS = Object.fromEntries(
  Object.keys(ensembleSpecSchema.shape).map((k) => [k, true]),
) as OptionKeys<EnsembleSpec>;

/**
 * How deep ensembles may nest in saved state (an ensemble of ensembles is depth 2).
 *
 * @internal
 */
export const MAX_STATE_DEPTH = 16;

/**
 * How many members one saved ensemble may hold.
 *
 * @internal
 */
export const MAX_ENSEMBLE_MEMBERS = 256;

function fieldsMessage(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .map((i) => `${i.path.length > 0 ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

/**
 * Builds a detector from a {@link DetectorSpec} (what config files and CLI flags describe): a built-in type or
 * one added with {@link registerDetector}. The spec's options are checked by the type's descriptor (its zod
 * schema, defaults applied). Detector modules are imported on demand, so building a heuristic-only ensemble
 * loads no model code.
 *
 * @param spec - detector type and its options (model settings for the model-backed ones)
 * @param options - settings of this run that are not part of the spec: `onProgress` for the models it loads
 * @throws InvalidOptionsError for an unknown type or a bad option (naming it)
 * @example
 * ```ts
 * const d = await createDetector({ type: 'embedding', embedder: 'hashing' });
 * const nli = await createDetector({ type: 'nli' }, { onProgress: (p) => console.error(p.file, p.loaded) });
 * ```
 */
export async function createDetector(
  spec: DetectorSpec,
  options: CreateDetectorOptions = {},
): Promise<Detector> {
  return buildDetector(spec, createContext(options));
}

/** Builds one detector from its spec with the run's context (what {@link createDetector} does once checked). */
async function buildDetector(spec: DetectorSpec, context: DetectorCreateContext): Promise<Detector> {
  const { descriptor, options } = parseDetectorSpec(spec);
  const d = await descriptor.create(options, context);
  checkSpecificationVersion(d.specificationVersion, `detector "${d.name}" (type ${spec.type})`);
  return d;
}

/**
 * The name a detector built from `spec` will have, before it is built: its options' `name` as its type's options
 * schema resolves it (its default included: a type's default name may differ from the type), which is what
 * {@link createDetector} passes to the type's `create`; the type when the schema has no `name`.
 *
 * @param spec - a detector spec
 * @throws InvalidOptionsError for an unknown type or a bad option (naming it)
 * @internal
 */
export function specMemberName(spec: DeepReadonly<DetectorSpec>): string {
  const { options } = parseDetectorSpec(spec);
  const name = (options as { name?: unknown }).name;
  return typeof name === 'string' ? name : spec.type;
}

/**
 * Settings of one {@link createDetector} or {@link createEnsemble} call that are not part of the spec (a spec is
 * JSON data; these are not).
 */
export interface CreateDetectorOptions {
  /**
   * Model-loading events (downloads included) of every model the detectors load, for a progress bar.
   * @defaultValue undefined (no events)
   */
  onProgress?: (p: LoadProgress) => void;
}

const CREATE_DETECTOR_OPTION_KEYS: OptionKeys<CreateDetectorOptions> = { onProgress: true };

/** The context a descriptor's `create` gets from {@link CreateDetectorOptions}. */
function createContext(options: CreateDetectorOptions): DetectorCreateContext {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionsError(
      'options',
      `expected an object like { onProgress }, got ${describeValue(options)}`,
    );
  }
  refuseUnknownKeys(
    options,
    CREATE_DETECTOR_OPTION_KEYS,
    'the options of createDetector() and createEnsemble()',
  );
  const { onProgress } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new InvalidOptionsError('onProgress', `expected a function, got ${describeValue(onProgress)}`);
  }
  return onProgress === undefined ? {} : { onProgress };
}

/**
 * The descriptor of a spec's type and the spec's options parsed by it (defaults applied).
 *
 * @param spec - a detector spec
 * @throws InvalidOptionsError for an unknown type or a bad option (naming it)
 * @internal
 */
export function parseDetectorSpec(spec: DeepReadonly<DetectorSpec>): {
  descriptor: DetectorDescriptor;
  options: object;
} {
  if (typeof spec !== 'object' || spec === null) {
    throw new InvalidOptionsError('spec', 'expected an object like { type: "heuristic" }');
  }
  const { type, ...rest } = spec;
  const descriptor = descriptorForType(type);
  const r = descriptor.optionsSchema.safeParse(rest);
  if (!r.success) {
    // A misspelt option is named as the library names option typos ("did you mean", the valid keys), not in
    // zod's words ("Unrecognized key"); other problems keep the schema's messages.
    const keys = r.error.issues.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0)
      ? objectKeys(descriptor.optionsSchema)
      : undefined;
    if (keys !== undefined)
      refuseUnknownKeys(
        rest,
        Object.fromEntries(['type', ...keys].map((k) => [k, true])) as OptionKeys<Record<string, unknown>>,
        `the "${type}" detector spec`,
      );
    throw new InvalidOptionsError(type, fieldsMessage(r.error.issues));
  }
  return { descriptor, options: r.data };
}

/** The keys of an object schema, through optional, default and pipe wrappers; undefined for any other schema. */
function objectKeys(schema: z.ZodType): string[] | undefined {
  let at = schema;
  for (;;) {
    const def = at._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.type === 'optional' || def.type === 'default') at = def.innerType!;
    else if (def.type === 'pipe') at = def.in!;
    else return def.type === 'object' ? Object.keys((at as z.ZodObject).shape) : undefined;
  }
}

/**
 * Loads a detector (or a whole ensemble) saved as JSON, e.g. by `botlens fit --out fitted.json` or
 * `writeFile(path, JSON.stringify(detector.toJSON()))`. Saved models are found where the state says they came
 * from (a local folder by its absolute path, a hub id with its revision), or where `options` relocate them.
 *
 * @param path - the JSON file
 * @param options - where to find the models, a new threshold and prior; see {@link DetectorLoadOptions}
 * @throws BotlensError with code `READ_FAILED` when the file cannot be read or parsed;
 *   InvalidOptionsError when it holds no saved detector state
 * @example
 * ```ts
 * const detector = await detectorFromFile('fitted.json', { modelDir: '/srv/models' });
 * const d = await detector.detect(transcript);
 * ```
 */
export async function detectorFromFile(path: string, options: DetectorLoadOptions = {}): Promise<Detector> {
  // Checked before the file is read (detectorFromState checks them again, naming itself).
  refuseUnknownKeys(options, DETECTOR_LOAD_OPTION_KEYS, 'the options of detectorFromFile()');
  return detectorFromState(await readDetectorStateFile(path), options);
}

/**
 * Reads the saved detector state in a JSON file (what {@link detectorFromFile} restores), so a caller that sends
 * the state elsewhere (a queue worker) reads it exactly as a local load does.
 *
 * @param path - the JSON file
 * @throws BotlensError with code `READ_FAILED` when the file cannot be read or parsed;
 *   InvalidOptionsError when it holds no saved detector state
 * @internal
 */
export async function readDetectorStateFile(path: string): Promise<DetectorState> {
  let state: unknown;
  try {
    state = JSON.parse(withoutBom(await readFile(path, 'utf8')));
  } catch (cause) {
    throw new BotlensError(
      'READ_FAILED',
      `Cannot read the saved detector ${path}: give a JSON file written by \`botlens fit --out\` or by toJSON().`,
      { cause },
    );
  }
  if (typeof state !== 'object' || state === null || typeof (state as DetectorState).kind !== 'string') {
    throw new InvalidOptionsError('path', `${path} is not a saved detector state (it has no "kind")`);
  }
  return state as DetectorState;
}

/** Checks nesting depth and ensemble sizes without recursion, before anything is built. */
function checkStateBounds(state: DetectorState): void {
  const stack: { s: unknown; depth: number }[] = [{ s: state, depth: 1 }];
  while (stack.length > 0) {
    const { s, depth } = stack.pop()!;
    if (typeof s !== 'object' || s === null || (s as DetectorState).kind !== ENSEMBLE_KIND) continue;
    if (depth > MAX_STATE_DEPTH) {
      throw new InvalidOptionsError(
        'state',
        `ensembles are nested more than ${MAX_STATE_DEPTH} deep: this is not a state botlens writes (flatten the ensemble, or check the file)`,
      );
    }
    const members = (s as DetectorState)['members'];
    if (Array.isArray(members)) {
      if (members.length > MAX_ENSEMBLE_MEMBERS) {
        throw new InvalidOptionsError(
          'state.members',
          `an ensemble holds ${members.length} members; at most ${MAX_ENSEMBLE_MEMBERS} are loaded`,
        );
      }
      for (const m of members) stack.push({ s: m, depth: depth + 1 });
    }
  }
}

/** Restores `state`; `prior`, when given, applies to it (the top-level ensemble), never to nested members. */
async function restore(state: DetectorState, where: ModelRelocation, prior?: number): Promise<Detector> {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new InvalidOptionsError('state', "expected an object returned by a detector's toJSON()");
  }
  if (state.kind === ENSEMBLE_KIND) {
    const { Ensemble } = await import('../ensemble/ensemble.js');
    return Ensemble.fromJSON(state, {
      resolve: (member) => restore(member, where),
      ...(prior !== undefined && { prior }),
    });
  }
  if (prior !== undefined) {
    throw new InvalidOptionsError(
      'prior',
      `applies to a fitted stacking ensemble; this state holds one detector (kind ${String(state.kind)}): leave the prior out, or fit a stacking ensemble`,
    );
  }
  if (state.kind === 'unserialized') {
    // What Ensemble.toJSON() writes for a member without toJSON(): only a resolver that knows the member rebuilds it.
    throw new InvalidOptionsError(
      'kind',
      `member ${describeValue(state['name'])} was saved without its state (it has no toJSON()), so no detector type restores it: load the ensemble with Ensemble.fromJSON(state, { resolve }) and rebuild that member by name in resolve, or give the member toJSON() and register its type with registerDetector`,
    );
  }
  const descriptor = descriptorForKind(state.kind);
  const label = `${descriptor.type} state`;
  checkStateVersion(state.version, {
    version: descriptor.stateVersion,
    oldestVersion: descriptor.oldestStateVersion,
    label: descriptor.type,
  });
  if (descriptor.stateSchema) {
    const r = descriptor.stateSchema.safeParse(state);
    if (!r.success) throw new InvalidOptionsError('state', `bad ${label}: ${fieldsMessage(r.error.issues)}`);
  }
  const d = await descriptor.restore(state, {
    load: where,
    restoreNested: (nested) => restore(nested, where),
  });
  checkSpecificationVersion(d.specificationVersion, `detector "${d.name}" (kind ${String(state.kind)})`);
  return d;
}

/**
 * Checks a relocation's `modelDir` (when given) names an existing folder.
 *
 * @param dir - `DetectorLoadOptions.modelDir`
 * @param option - the option named in the error (the CLI passes `--model-dir`)
 * @throws InvalidOptionsError naming `option`
 * @internal
 */
export async function checkModelDir(dir: unknown, option = 'modelDir'): Promise<void> {
  if (dir === undefined) return;
  const path = typeof dir === 'string' && dir !== '' ? absoluteDir(dir) : undefined;
  const found = path === undefined ? undefined : await stat(path).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new InvalidOptionsError(
      option,
      `${path === undefined ? `got ${describeValue(dir)}` : `${path} is ${found ? 'not a folder' : 'missing'}`}: give the folder that holds the models (a hub id org/name is looked up as <${option.replace(/^--/, '')}>/org/name/, a saved local folder by its name)`,
    );
  }
}

const DETECTOR_LOAD_OPTION_KEYS: OptionKeys<DetectorLoadOptions> = {
  ...MODEL_RELOCATION_KEYS,
  threshold: true,
  prior: true,
};

/**
 * Restores a detector (or a whole ensemble) from the state its `toJSON()` produced: a built-in type or one
 * added with {@link registerDetector}. Nesting depth and ensemble sizes are bounded
 * (ensembles nest at most 16 deep and hold at most 256 members) so a hostile file cannot exhaust the stack.
 *
 * @param state - a saved {@link DetectorState}
 * @param options - where to find the models, a new threshold and prior; see {@link DetectorLoadOptions}
 * @throws InvalidOptionsError when `state.kind` names no registered detector type, its version is not the
 *   one that type reads, or the state is out of bounds; or when `options.modelDir` is not a folder (checked
 *   before anything loads, so a mistyped folder fails even for a state that loads no model)
 * @example
 * ```ts
 * const d = await detectorFromState(JSON.parse(await readFile('fitted.json', 'utf8')));
 * ```
 */
export async function detectorFromState(
  state: DetectorState,
  options: DetectorLoadOptions = {},
): Promise<Detector> {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new InvalidOptionsError('state', "expected an object returned by a detector's toJSON()");
  }
  refuseUnknownKeys(options, DETECTOR_LOAD_OPTION_KEYS, 'the options of detectorFromState()');
  const { threshold, prior, ...where } = options;
  checkStateBounds(state);
  await checkModelDir(where.modelDir);
  if (threshold === undefined) return restore(state, where, prior);
  if (!inRange(threshold, PROBABILITY)) {
    throw new InvalidOptionsError(
      'threshold',
      `expected ${describeRange(PROBABILITY)}, got ${describeValue(threshold)}`,
    );
  }
  return restore({ ...state, threshold }, where, prior);
}

/**
 * Builds an {@link Ensemble} of built-in detectors from an {@link EnsembleSpec}.
 *
 * @param spec - the strategy, the members' specs and the ensemble's options
 * @param options - settings of this run that are not part of the spec: `onProgress` for the models the members
 *   load
 * @throws InvalidOptionsError for a key the spec does not have, a bad value or a bad member spec (naming it)
 * @example
 * ```ts
 * const ens = await createEnsemble({ strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] });
 * ```
 */
export async function createEnsemble(
  spec: EnsembleSpec,
  options: CreateDetectorOptions = {},
): Promise<Ensemble> {
  const context = createContext(options);
  // The whole spec is checked, unknown keys included: JavaScript and JSON callers get no compile-time check, and
  // a misspelt key ("fodls") must stop them rather than be ignored.
  refuseUnknownKeys(spec, ENSEMBLE_SPEC_KEYS, 'an ensemble spec', { option: 'ensemble' });
  const checked = ensembleSpecSchema.safeParse(spec);
  if (!checked.success) {
    const at = checked.error.issues[0]?.path.map(String).join('.') ?? '';
    const issues = checked.error.issues;
    throw new InvalidOptionsError(
      at === '' ? 'ensemble' : at,
      issues.length === 1 ? issues[0]!.message : fieldsMessage(issues),
    );
  }
  const { Ensemble } = await import('../ensemble/ensemble.js');
  const detectors = await Promise.all(spec.detectors.map((d) => buildDetector(d, context)));
  // The Ensemble constructor refuses two members of one name (refuseDuplicateNames).
  return new Ensemble(detectors, {
    strategy: spec.strategy,
    ...(spec.threshold !== undefined && { threshold: spec.threshold }),
    ...(spec.weights !== undefined && { weights: spec.weights }),
    ...(spec.noveltyGuard !== undefined && { noveltyGuard: spec.noveltyGuard }),
    ...(spec.memberPrefixCuts !== undefined && { memberPrefixCuts: spec.memberPrefixCuts }),
    ...(spec.memberPrefixCutShare !== undefined && { memberPrefixCutShare: spec.memberPrefixCutShare }),
    ...(spec.memberFeatures !== undefined && { memberFeatures: spec.memberFeatures }),
    ...(spec.prior !== undefined && { prior: spec.prior }),
  });
}
