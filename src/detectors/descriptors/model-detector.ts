import type { z } from 'zod';
import type { Detector, DetectorState } from '../../core/detector.js';
import type { ModelOptions, ModelRelocation } from '../../runtime/model-options.js';
import { type DetectorDescriptor, defineDetector } from '../descriptor.js';
import { definedOnly, MODEL_CLI_FLAGS, modelOptionsSchema, savedModelOptions } from './option-fields.js';

/** A model-backed detector class: built from options, restored by `fromJSON(state, overrides)`. */
export interface ModelDetectorClass<D extends Detector> {
  new (options: Record<string, unknown>): D;
  fromJSON(state: DetectorState, overrides: ModelOptions): D;
}

/** What differs between the model-backed detector types. */
export interface ModelDetectorDefinition<D extends Detector, Shape extends z.ZodRawShape> {
  /** The spec type. */
  type: string;
  /** The state kind, when it differs from the type. */
  kind?: string;
  /** One line for help texts. */
  description: string;
  /** Options besides the name, threshold and model fields. */
  options: Shape;
  /**
   * Whether a detector built with these options cannot score until it is fitted; see
   * `DetectorDescriptor.needsFit`.
   * @defaultValue absent: it scores unfitted
   */
  needsFit?: (options: Record<string, unknown>) => boolean;
  /**
   * For a type whose need of a fit can depend on its model's files, which the spec does not show (a `model` with
   * no classification head): loads the model these options name, as detection would, and resolves with why it
   * cannot score until it is fitted (undefined when it can) and a release for the model it keeps loaded meanwhile,
   * so that the detector built next shares that load. The start-up checks run it for each member that `needsFit`
   * did not already flag, whether or not other parts of the spec were flagged ({@link modelNeedsFitCheck}).
   * @defaultValue absent: the spec alone says whether it needs a fit
   */
  needsFitOnLoad?: NeedsFitOnLoad;
  /** Imports the class (on first use, so no model code loads before). */
  load: () => Promise<ModelDetectorClass<D>>;
  /**
   * The overrides `fromJSON` gets: where the saved models are to be found.
   * @defaultValue the state's `model` field, relocated
   */
  overrides?: (state: DetectorState, where: ModelRelocation) => ModelOptions;
}

/**
 * What a load check (`ModelDetectorDefinition.needsFitOnLoad`) found: why the member cannot score until it is fitted,
 * and the release of the model the check keeps loaded.
 *
 * @internal
 */
export interface LoadCheck {
  /** Why the member cannot score until it is fitted; undefined when it can, or when its model failed to load. */
  readonly reason: string | undefined;
  /**
   * Gives back the model the check loaded (a no-op when it holds none). Call it once the detector that scores has
   * loaded its own: that load then shares the check's, so the check costs no load of its own.
   */
  release(): Promise<void>;
}

/**
 * A load check: options as the type parses them, plus the runtime `onProgress` of the start-up that runs it.
 *
 * @internal
 */
export type NeedsFitOnLoad = (options: Record<string, unknown>) => Promise<LoadCheck>;

/** For each descriptor whose detectors may load a model: whether one with these (parsed) options does. */
const LOADS_MODEL = new WeakMap<DetectorDescriptor, (options: Record<string, unknown>) => boolean>();

/**
 * Marks a built-in descriptor whose detectors load a model (through transformers.js) with some options:
 * {@link modelDetector} marks its own; the `embedding` type marks itself for its `transformers` embedder.
 *
 * @param descriptor - the descriptor
 * @param when - whether a detector with these parsed options loads one
 * @internal
 */
export function markLoadsModel(
  descriptor: DetectorDescriptor,
  when: (options: Record<string, unknown>) => boolean,
): void {
  LOADS_MODEL.set(descriptor, when);
}

/**
 * Whether a detector of `descriptor` built with `options` (as a spec gives them) loads a model; false for a type
 * that never does, one registered by an app (its packages are its own), or options its schema refuses (the build
 * says why).
 *
 * @param descriptor - a registered descriptor
 * @param options - the spec's fields but `type`
 * @internal
 */
export function loadsModel(descriptor: DetectorDescriptor, options: Record<string, unknown>): boolean {
  const when = LOADS_MODEL.get(descriptor);
  if (when === undefined) return false;
  const parsed = descriptor.optionsSchema.safeParse(options);
  return parsed.success && when(parsed.data as Record<string, unknown>);
}

/** The `needsFitOnLoad` of each descriptor {@link modelDetector} made with one. */
const FIT_CHECKS = new WeakMap<DetectorDescriptor, NeedsFitOnLoad>();

/**
 * The check that loads a member's model to tell whether it needs a fit (`ModelDetectorDefinition.needsFitOnLoad`),
 * for a descriptor made by {@link modelDetector} with one; undefined for every other descriptor.
 *
 * @param descriptor - a registered descriptor
 * @internal
 */
export function modelNeedsFitCheck(descriptor: DetectorDescriptor): NeedsFitOnLoad | undefined {
  return FIT_CHECKS.get(descriptor);
}

/**
 * The descriptor of a model-backed detector type: name, threshold, the model fields and its own options; built
 * with its constructor, restored with its `fromJSON`, with the saved models relocated as the loader asks.
 *
 * @internal
 */
export function modelDetector<D extends Detector, Shape extends z.ZodRawShape>(
  def: ModelDetectorDefinition<D, Shape>,
): DetectorDescriptor<object, D> {
  const descriptor = defineDetector({
    specificationVersion: 'v1',
    type: def.type,
    ...(def.kind !== undefined && { kind: def.kind }),
    description: def.description,
    optionsSchema: modelOptionsSchema(def.type, def.options),
    stateVersion: 1,
    cliFlags: MODEL_CLI_FLAGS,
    ...(def.needsFit !== undefined && { needsFit: def.needsFit }),
    async create(options, context): Promise<D> {
      const Class = await def.load();
      const onProgress = context?.onProgress;
      return new Class({
        ...definedOnly(options as Record<string, unknown>),
        ...(onProgress && { onProgress }),
      });
    },
    async restore(state, { load }): Promise<D> {
      const Class = await def.load();
      return Class.fromJSON(state, (def.overrides ?? savedModelOptions)(state, load));
    },
  });
  if (def.needsFitOnLoad !== undefined) FIT_CHECKS.set(descriptor as DetectorDescriptor, def.needsFitOnLoad);
  markLoadsModel(descriptor as DetectorDescriptor, () => true);
  return descriptor;
}
