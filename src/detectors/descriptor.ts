import type { z } from 'zod';
import { describeValue } from '../core/describe-value.js';
import {
  DETECTOR_SPECIFICATION_VERSION,
  type Detector,
  type DetectorSpecificationVersion,
  type DetectorState,
} from '../core/detector.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { LoadProgress, ModelRelocation } from '../runtime/model-options.js';

/**
 * The shared CLI flags (`botlens detect|fit|eval|serve`) a detector type takes; each sets the spec field of the
 * same name. A flag a type does not list is not passed to it.
 */
export type DetectorCliFlag =
  | 'model'
  | 'modelDir'
  | 'dtype'
  | 'threads'
  | 'device'
  | 'embedder'
  | 'rareBuckets'
  | 'knnStopShare';

/** Every {@link DetectorCliFlag}. */
export const DETECTOR_CLI_FLAGS: readonly DetectorCliFlag[] = Object.freeze([
  'model',
  'modelDir',
  'dtype',
  'threads',
  'device',
  'embedder',
  'rareBuckets',
  'knnStopShare',
]);

/**
 * How saved state is loaded: where its models are looked for (see {@link ModelRelocation}), an optional new
 * decision threshold for the top-level detector and, for a fitted stacking ensemble, an optional new prior.
 * A `modelDir`, when given, must be an existing folder: it is checked before anything loads.
 *
 * @example
 * ```ts
 * const d = await detectorFromFile('fitted.json', { modelDir: '/srv/models', offline: true, threshold: 0.8 });
 * ```
 */
export interface DetectorLoadOptions extends ModelRelocation {
  /**
   * P(bot) at or above which the loaded detector (the ensemble, for a fitted ensemble) says bot.
   * @defaultValue the saved threshold
   */
  threshold?: number;
  /**
   * For a fitted stacking ensemble: the share of bots expected where it is used, in (0, 1), replacing the saved
   * one (see `EnsembleOptions.prior`), so one fitted file can be deployed on populations with another share of
   * bots without a refit. Refused for any other saved detector, and for state saved before the option existed.
   * @defaultValue the saved prior, if any (else the training share)
   */
  prior?: number;
}

/**
 * What a descriptor's `create` gets besides the parsed options: settings of this run that are not part of the
 * JSON spec (a spec is data: it goes in config files and fitted files, where a callback cannot).
 */
export interface DetectorCreateContext {
  /**
   * Model-loading events (downloads included), for a progress bar: pass them to every model the detector loads.
   * @defaultValue undefined (no events)
   */
  readonly onProgress?: (p: LoadProgress) => void;
}

/** What a descriptor's `restore` gets besides the state. */
export interface DetectorRestoreContext {
  /** Where the state's models are to be found; apply it to every model the detector loads. */
  readonly load: ModelRelocation;
  /**
   * Restores a nested detector state (for a detector that holds others) through the registry, counting the
   * nesting depth.
   */
  restoreNested(state: DetectorState): Promise<Detector>;
}

/**
 * One detector type, described once: its options (a zod schema with defaults), its saved-state format, how to
 * build it from a spec and how to restore it from saved state, whether it needs fitting before it scores, and which
 * CLI flags apply. The registry, the
 * config-file schema (`detectorSpecSchema`), the CLI and `detectorFromFile` all read it. Write one with
 * {@link defineDetector} and add it with `registerDetector`.
 *
 * @typeParam Options - the options the schema parses to (after defaults)
 * @typeParam D - the detector class
 *
 * @example
 * ```ts
 * const lengthy = defineDetector({
 *   specificationVersion: 'v1',
 *   type: 'lengthy',
 *   description: 'long messages look like a bot',
 *   optionsSchema: z.strictObject({ name: z.string().default('lengthy'), threshold: z.number().default(0.5) }),
 *   stateVersion: 1,
 *   create: (o) => new LengthyDetector(o),
 *   restore: (state) => LengthyDetector.fromJSON(state),
 * });
 * ```
 */
export interface DetectorDescriptor<Options extends object = object, D extends Detector = Detector> {
  /** The {@link Detector} contract version the detector implements; this botlens knows `'v1'`. */
  readonly specificationVersion: DetectorSpecificationVersion;
  /** The spec `type` (config files, `--detectors`): lowercase letters, digits and `-`. */
  readonly type: string;
  /**
   * The `kind` its saved states carry, when it differs from `type`.
   * @defaultValue `type`
   */
  readonly kind?: string;
  /** One line for help texts. */
  readonly description: string;
  /**
   * The options of a spec (every spec field but `type`), with their defaults. Use `z.strictObject` so a
   * misspelt option is an error. It validates config files and CLI flags before anything loads.
   */
  readonly optionsSchema: z.ZodType<Options>;
  /**
   * The saved-state format version its detectors write, the newest `restore` reads; a state of a version outside
   * `oldestStateVersion` to `stateVersion` is refused (`this botlens reads … state version 1, got 2: refit or
   * upgrade botlens`). Raise it when the state's layout changes so that an older botlens refuses the new states
   * in those words.
   */
  readonly stateVersion: number;
  /**
   * The oldest saved-state format version `restore` still reads, when it reads more than `stateVersion`.
   * @defaultValue `stateVersion`
   */
  readonly oldestStateVersion?: number;
  /**
   * Checks a saved state before `restore` (bounds, shape), with errors that name the field. Optional: the
   * registry always checks `kind` and `version` itself.
   * @defaultValue no extra check
   */
  readonly stateSchema?: z.ZodType;
  /**
   * The shared CLI flags that apply to this type.
   * @defaultValue none
   */
  readonly cliFlags?: readonly DetectorCliFlag[];
  /**
   * Whether a detector built from these options cannot score until it is fitted: its `detect()` throws
   * `NotFittedError` before `fit()` (or before `restore` gave it saved state), e.g. a detector with no hand-set
   * weights. The CLI (`detect`, `score`, `eval` without `--fit`), the service and the corpus scorers
   * (`scoreCorpus`, `scoreCorpusOnQueue`) refuse a spec holding one before they read any data or listen, saying to
   * fit it first and use the fitted file; a fitted file is never refused. It gets the parsed options (defaults
   * applied), so a type can need a fit with some options only. It must return `true` or `false` synchronously: one
   * that throws or returns anything else (a Promise, `'no'`) makes those checks throw `InvalidOptionsError` naming
   * the type.
   *
   * @param options - the spec's options, parsed by `optionsSchema`
   * @returns true when the detector cannot score unfitted
   * @defaultValue absent: it scores unfitted
   * @example
   * ```ts
   * defineDetector({ ...lengthy, needsFit: () => true });
   * ```
   */
  needsFit?(options: Options): boolean;
  /**
   * Builds a new detector from parsed options.
   *
   * @param options - the spec's options, parsed by `optionsSchema`
   * @param context - this run's settings that are not part of the spec (`onProgress`); a type that loads no
   *   model can ignore it
   */
  create(options: Options, context?: DetectorCreateContext): D | Promise<D>;
  /** Rebuilds a detector from what its `toJSON()` returned. */
  restore(state: DetectorState, context: DetectorRestoreContext): D | Promise<D>;
}

/**
 * Types a {@link DetectorDescriptor} (the options type is inferred from the schema) and checks it now, so a
 * mistake surfaces where the descriptor is written rather than when a file is loaded.
 *
 * @param descriptor - the description
 * @returns the same descriptor
 * @throws InvalidOptionsError for a malformed descriptor or an unsupported `specificationVersion`
 * @example
 * ```ts
 * export const lengthyDetector = defineDetector({ specificationVersion: 'v1', type: 'lengthy', ... });
 * registerDetector(lengthyDetector);
 * ```
 */
export function defineDetector<Options extends object, D extends Detector>(
  descriptor: DetectorDescriptor<Options, D>,
): DetectorDescriptor<Options, D> {
  checkDescriptor(descriptor);
  return descriptor;
}

const TYPE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Throws unless `version` is a {@link Detector} contract version this botlens implements.
 *
 * @param version - the declared version (`undefined` reads as `'v1'`)
 * @param who - names the detector in the error
 * @throws InvalidOptionsError naming `specificationVersion`
 *
 * @internal
 */
export function checkSpecificationVersion(version: unknown, who: string): void {
  if (version === undefined || version === DETECTOR_SPECIFICATION_VERSION) return;
  throw new InvalidOptionsError(
    'specificationVersion',
    `${who} implements Detector contract ${describeValue(version)}, but this botlens supports only "${DETECTOR_SPECIFICATION_VERSION}": upgrade botlens, or use a version of the detector written for "${DETECTOR_SPECIFICATION_VERSION}"`,
  );
}

/**
 * Checks the shape of a descriptor.
 *
 * @internal
 */
export function checkDescriptor(d: unknown): asserts d is DetectorDescriptor {
  if (typeof d !== 'object' || d === null) {
    throw new InvalidOptionsError('descriptor', 'expected the object defineDetector() returns');
  }
  const x = d as Partial<DetectorDescriptor>;
  const who = `detector type ${describeValue(x.type)}`;
  if (x.specificationVersion === undefined) {
    throw new InvalidOptionsError(
      'specificationVersion',
      `${who}: say which Detector contract it implements (specificationVersion: '${DETECTOR_SPECIFICATION_VERSION}')`,
    );
  }
  checkSpecificationVersion(x.specificationVersion, who);
  if (typeof x.type !== 'string' || !TYPE_NAME.test(x.type)) {
    throw new InvalidOptionsError(
      'type',
      `got ${describeValue(x.type)}: use 1 to 40 lowercase letters, digits or "-", starting with a letter`,
    );
  }
  if (x.kind !== undefined && (typeof x.kind !== 'string' || x.kind === '')) {
    throw new InvalidOptionsError('kind', `${who}: expected a non-empty string`);
  }
  if (typeof x.description !== 'string') {
    throw new InvalidOptionsError('description', `${who}: expected a one-line string`);
  }
  if (typeof x.optionsSchema?.safeParse !== 'function') {
    throw new InvalidOptionsError('optionsSchema', `${who}: expected a zod schema`);
  }
  if (x.stateSchema !== undefined && typeof x.stateSchema.safeParse !== 'function') {
    throw new InvalidOptionsError('stateSchema', `${who}: expected a zod schema`);
  }
  if (!(Number.isInteger(x.stateVersion) && (x.stateVersion ?? 0) >= 0)) {
    throw new InvalidOptionsError('stateVersion', `${who}: expected a whole number`);
  }
  if (
    x.oldestStateVersion !== undefined &&
    !(
      Number.isInteger(x.oldestStateVersion) &&
      x.oldestStateVersion >= 0 &&
      x.oldestStateVersion <= x.stateVersion!
    )
  ) {
    throw new InvalidOptionsError(
      'oldestStateVersion',
      `${who}: expected a whole number from 0 to stateVersion (${String(x.stateVersion)})`,
    );
  }
  for (const f of x.cliFlags ?? []) {
    if (!DETECTOR_CLI_FLAGS.includes(f)) {
      throw new InvalidOptionsError(
        'cliFlags',
        `${who}: "${String(f)}" is not a shared flag; use some of ${DETECTOR_CLI_FLAGS.join(', ')}`,
      );
    }
  }
  if (x.needsFit !== undefined && typeof x.needsFit !== 'function') {
    throw new InvalidOptionsError(
      'needsFit',
      `${who}: expected a function of the parsed options that returns true when the detector cannot score unfitted, e.g. needsFit: () => true`,
    );
  }
  if (typeof x.create !== 'function' || typeof x.restore !== 'function') {
    throw new InvalidOptionsError(
      'descriptor',
      `${who}: give both create(options) and restore(state, context)`,
    );
  }
}
