import { z } from 'zod';
import type { DetectorState } from '../../core/detector.js';
import { checkName, checkThreshold } from '../../core/detector-kit.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import {
  MODEL_DEVICES,
  MODEL_DTYPES,
  type ModelOptions,
  type ModelRelocation,
  relocateSavedModelOptions,
} from '../../runtime/model-options.js';
import type { DetectorCliFlag } from '../descriptor.js';
import { styleFeatureChecks } from '../heuristic/style-features.js';

/**
 * A spec field checked by the detector's own option check, so that a spec and the constructor refuse a bad value
 * with the same words (the rule and its message have one home). `check` gets the value as written (`undefined`
 * when the key is absent) and returns it resolved, its default applied; the InvalidOptionsError it throws becomes
 * an issue at the option's key (nested keys too: `rareBuckets.minConversations`) whose message is the error's
 * reason, without the `Invalid option "…": ` opening that the spec reader's own error supplies.
 *
 * @param check - the detector's check of the option
 * @example
 * ```ts
 * z.strictObject({ threshold: checkedOption(checkThreshold) });
 * ```
 * @internal
 */
export function checkedOption<T>(check: (value: unknown) => T) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): T => {
      try {
        return check(value);
      } catch (err) {
        if (!InvalidOptionsError.isInstance(err)) throw err;
        ctx.issues.push({
          code: 'custom',
          input: value,
          path: err.option.split('.').slice(1),
          message: err.message.slice(`Invalid option "${err.option}": `.length),
        });
        return z.NEVER;
      }
    });
}

/**
 * The options every detector spec may carry: its name and threshold, checked as every detector's constructor
 * checks them.
 *
 * @param type - the detector type, the default name
 * @internal
 */
export function commonOptionFields(type: string) {
  return {
    /** Name in results and ensembles. @defaultValue the type */
    name: checkedOption((v) => checkName(v, type)),
    /** P(bot) at or above which the label is bot. @defaultValue 0.5 */
    threshold: checkedOption(checkThreshold),
  };
}

/**
 * The style-feature options of the heuristic and partner-contrast specs (timing thresholds and the repetition
 * window), checked by the constructors' own checks.
 *
 * @internal
 */
export const styleFeatureOptionFields = {
  /** Replies faster than this look automated. @defaultValue 1000 */
  minHumanDelayMs: checkedOption(styleFeatureChecks.minHumanDelayMs),
  /** Typing faster than this looks automated. @defaultValue 15 */
  maxHumanCharsPerSecond: checkedOption(styleFeatureChecks.maxHumanCharsPerSecond),
  /** How many earlier messages near repetition looks back. @defaultValue 32 */
  repeatWindow: checkedOption(styleFeatureChecks.repeatWindow),
};

const dtypes = MODEL_DTYPES as readonly [string, ...string[]];
const devices = MODEL_DEVICES as readonly [string, ...string[]];

/**
 * The JSON-safe model options of a spec ({@link ModelOptions} without the callback); defaults are the model
 * zoo's and the runtime's, applied where the model loads.
 *
 * @internal
 */
export const modelOptionFields = {
  model: z.string().min(1, { error: 'model must be a hub id or a folder' }).optional(),
  modelDir: z.string().min(1).optional(),
  dtype: z
    .enum(dtypes as unknown as ['fp32', 'fp16', 'q8', 'q4'], {
      error: `dtype must be one of ${MODEL_DTYPES.join(', ')}`,
    })
    .optional(),
  revision: z.string().min(1).optional(),
  offline: z.boolean().optional(),
  threads: z.number().int().positive().max(1024).optional(),
  cacheDir: z.string().min(1).optional(),
  device: z
    .enum(devices as unknown as ['cpu', 'auto', 'gpu', 'cuda'], {
      error: `device must be one of ${MODEL_DEVICES.join(', ')}`,
    })
    .optional(),
};

/**
 * The options schema of a model-backed detector type: name and threshold, the model fields, then its own.
 *
 * @param type - the detector type (the default name)
 * @param own - the type's own option fields
 *
 * @internal
 */
export function modelOptionsSchema<Shape extends z.ZodRawShape>(type: string, own: Shape) {
  return z.strictObject({ ...commonOptionFields(type), ...modelOptionFields, ...own });
}

/** The CLI flags of a model-backed detector. @internal */
export const MODEL_CLI_FLAGS: readonly DetectorCliFlag[] = Object.freeze([
  'model',
  'modelDir',
  'dtype',
  'threads',
  'device',
]);

/**
 * A saved state's model options (field `key`), relocated as the loader asks.
 *
 * @param state - the saved state
 * @param where - where models are to be found
 * @param key - the field holding serialized model options
 * @internal
 */
export function savedModelOptions(state: DetectorState, where: ModelRelocation, key = 'model'): ModelOptions {
  return relocateSavedModelOptions(state[key], where);
}

/**
 * Drops `undefined` fields, for options objects built with `exactOptionalPropertyTypes`.
 *
 * @internal
 */
export function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
