import { basename, join } from 'node:path';
import { describeValue } from '../core/describe-value.js';
import { MODEL_DEVICES, type ModelDevice } from '../core/model-devices.js';
import { MODEL_DTYPES, type ModelDtype } from '../core/model-dtypes.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { absoluteDir, absoluteModelPath, isLocalModelPath } from './local-path.js';

// The dtype and device vocabularies are defined once, in core/; re-exported here for this module's users.
export { MODEL_DEVICES, type ModelDevice } from '../core/model-devices.js';
export { MODEL_DTYPES, type ModelDtype } from '../core/model-dtypes.js';

import type { OptionKeys } from '../core/refuse-unknown-keys.js';
import type { LoadProgress } from '../hub/load-progress.js';

export type { LoadProgress };

/**
 * How to find and run a model. Every model-backed class in botlens takes these fields.
 *
 * Resolution: `model` may be a hub id (`Xenova/e5-small-v2`) or a local folder (an absolute path, or a path
 * starting with `.` or `~`, or an existing directory). With `modelDir`, a hub id is looked up as
 * `<modelDir>/<model>/`. Offline, a hub id is looked up in the cache as `<cacheDir>/<model>/` (revision `main`)
 * or `<cacheDir>/<model>/<revision>/`. A folder holds the transformers.js layout: `config.json`,
 * `tokenizer.json`, `tokenizer_config.json` and `onnx/model.onnx` (plus the other dtypes you use).
 *
 * @example
 * ```ts
 * const opts: ModelOptions = { model: 'Xenova/e5-small-v2', dtype: 'q8', offline: true, threads: 2 };
 * ```
 */
export interface ModelOptions {
  /**
   * Hub model id or local folder path.
   * @defaultValue the detector's default from the model zoo (`defaultModelFor(...)`)
   */
  model?: string;
  /**
   * A local folder that holds `<model>/` in the transformers.js layout. Implies `offline: true`.
   * @defaultValue undefined (use the cache / the hub)
   */
  modelDir?: string;
  /**
   * ONNX weight variant.
   * @defaultValue 'fp32'
   */
  dtype?: ModelDtype;
  /**
   * Git revision (branch, tag or commit sha) of a hub model. Pin a commit sha for reproducible deployments.
   * Ignored for local folders.
   * @defaultValue 'main'
   */
  revision?: string;
  /**
   * Never fetch anything: load from a local folder or the cache only. Also turned on by the environment
   * variable `BOTLENS_OFFLINE=1`.
   * @defaultValue false
   */
  offline?: boolean;
  /**
   * Intra-op threads for ONNX Runtime. Models shared between detectors keep the setting of the first loader.
   * @defaultValue undefined (ONNX Runtime's default: one per core)
   */
  threads?: number;
  /**
   * Where downloaded models are cached. Never inside `node_modules`.
   * @defaultValue `$BOTLENS_CACHE_DIR`, else `~/.cache/botlens`
   */
  cacheDir?: string;
  /**
   * Where to run. `auto`, `gpu` and `cuda` fall back to the CPU with a warning when no GPU can be used.
   * @defaultValue 'cpu'
   */
  device?: ModelDevice;
  /**
   * Called with loading events (for a progress bar). When a model is already loaded by another component,
   * only `ready` is reported.
   * @defaultValue undefined
   */
  onProgress?: (p: LoadProgress) => void;
}

/** True when `BOTLENS_OFFLINE` is set to `1`, `true` or `yes` (any case). */
export function offlineFromEnv(): boolean {
  const v = process.env['BOTLENS_OFFLINE'];
  return v !== undefined && /^(1|true|yes)$/i.test(v.trim());
}

/** Every key of {@link ModelOptions}, for the options checks of the classes whose options extend it. @internal */
export const MODEL_OPTION_KEYS: OptionKeys<ModelOptions> = {
  model: true,
  modelDir: true,
  dtype: true,
  revision: true,
  offline: true,
  threads: true,
  cacheDir: true,
  device: true,
  onProgress: true,
};

/**
 * Checks the fields of a {@link ModelOptions} object and throws {@link InvalidOptionsError} naming the first bad
 * one. Called by every model-backed constructor so mistakes surface before any model is loaded.
 *
 * @param opts - the options to check
 * @throws InvalidOptionsError for a bad field
 *
 * @example
 * ```ts
 * validateModelOptions({ dtype: 'int8' as ModelDtype }); // throws: use one of fp32, fp16, q8, q4
 * ```
 */
export function validateModelOptions(opts: ModelOptions): void {
  const optionalString = (name: keyof ModelOptions) => {
    const v = opts[name];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '')) {
      throw new InvalidOptionsError(name, `expected a non-empty string, got ${describeValue(v)}`);
    }
  };
  optionalString('model');
  optionalString('modelDir');
  optionalString('revision');
  optionalString('cacheDir');
  if (opts.dtype !== undefined && !MODEL_DTYPES.includes(opts.dtype)) {
    throw new InvalidOptionsError(
      'dtype',
      `got ${describeValue(opts.dtype)}; use one of ${MODEL_DTYPES.join(', ')}`,
    );
  }
  if (opts.device !== undefined && !MODEL_DEVICES.includes(opts.device)) {
    throw new InvalidOptionsError(
      'device',
      `got ${describeValue(opts.device)}; use one of ${MODEL_DEVICES.join(', ')}`,
    );
  }
  if (
    opts.threads !== undefined &&
    !(Number.isInteger(opts.threads) && opts.threads >= 1 && opts.threads <= 1024)
  ) {
    throw new InvalidOptionsError(
      'threads',
      `expected an integer from 1 to 1024, got ${describeValue(opts.threads)}`,
    );
  }
  if (opts.offline !== undefined && typeof opts.offline !== 'boolean') {
    throw new InvalidOptionsError('offline', `expected true or false, got ${describeValue(opts.offline)}`);
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw new InvalidOptionsError('onProgress', 'expected a function (p: LoadProgress) => void');
  }
}

/** The JSON-safe {@link ModelOptions} fields, in the order saved states list them. */
const SERIALIZABLE_KEYS = [
  'model',
  'modelDir',
  'dtype',
  'revision',
  'offline',
  'threads',
  'cacheDir',
  'device',
] as const satisfies readonly (keyof ModelOptions)[];

/**
 * The serializable subset of {@link ModelOptions} (no callback), as detectors store it in `toJSON()`: where the
 * model came from (a hub id with its revision, or a local folder as an absolute path), its dtype and how it runs.
 */
export interface SerializedModelOptions {
  [key: string]: string | number | boolean;
}

/**
 * Picks the JSON-safe fields of {@link ModelOptions} for a detector's saved state.
 *
 * @param opts - the options to serialize
 * @example
 * ```ts
 * serializeModelOptions({ model: 'Xenova/gpt2', dtype: 'q8', onProgress: console.log }); // { model: 'Xenova/gpt2', dtype: 'q8' }
 * ```
 */
export function serializeModelOptions(opts: ModelOptions): SerializedModelOptions {
  const out: SerializedModelOptions = {};
  for (const key of SERIALIZABLE_KEYS) {
    const v = opts[key];
    if (v === undefined) continue;
    // Paths are saved absolute, so the state loads the same folders from any working directory.
    if (key === 'model' && typeof v === 'string') out[key] = absoluteModelPath(v);
    else if ((key === 'modelDir' || key === 'cacheDir') && typeof v === 'string') out[key] = absoluteDir(v);
    else out[key] = v;
  }
  return out;
}

/**
 * Where saved models are looked for, and how they run, when a fitted detector is loaded on another machine or
 * from another folder:
 * the settings of `detectorFromFile(path, options)` and of `botlens detect --model fitted.json --model-dir DIR`.
 */
export interface ModelRelocation {
  /**
   * A folder that holds the models: a saved hub id `org/name` is looked up as `<modelDir>/org/name/`, a saved
   * local folder `/old/place/tiny-bert` as `<modelDir>/tiny-bert/`. Implies offline.
   * @defaultValue undefined (the saved locations)
   */
  modelDir?: string;
  /**
   * Where downloaded models are cached.
   * @defaultValue the saved setting, else `$BOTLENS_CACHE_DIR`, else `~/.cache/botlens`
   */
  cacheDir?: string;
  /**
   * Never fetch anything.
   * @defaultValue the saved setting, else false (true when BOTLENS_OFFLINE=1)
   */
  offline?: boolean;
  /**
   * Loading events, for a progress bar.
   * @defaultValue undefined
   */
  onProgress?: (p: LoadProgress) => void;
  /**
   * ONNX Runtime intra-op threads.
   * @defaultValue the saved setting
   */
  threads?: number;
  /**
   * Where the models run.
   * @defaultValue the saved setting
   */
  device?: ModelDevice;
}

/**
 * Saved model options with a {@link ModelRelocation} applied: the same model (id, revision, dtype), looked for
 * where the relocation says.
 *
 * @param saved - model options read back from a saved state
 * @param where - the relocation
 * @example
 * ```ts
 * relocateModelOptions({ model: '/old/models/tiny-bert', dtype: 'q8' }, { modelDir: '/srv/models' });
 * // { model: '/srv/models/tiny-bert', dtype: 'q8' }
 * ```
 */
export function relocateModelOptions(saved: ModelOptions, where: ModelRelocation): ModelOptions {
  const out: ModelOptions = { ...saved };
  if (where.modelDir !== undefined) {
    if (out.model !== undefined && isLocalModelPath(out.model)) {
      out.model = join(where.modelDir, basename(out.model));
      delete out.modelDir;
    } else out.modelDir = where.modelDir;
  }
  if (where.cacheDir !== undefined) out.cacheDir = where.cacheDir;
  if (where.offline !== undefined) out.offline = where.offline;
  if (where.onProgress !== undefined) out.onProgress = where.onProgress;
  if (where.threads !== undefined) out.threads = where.threads;
  if (where.device !== undefined) out.device = where.device;
  return out;
}

/**
 * The {@link ModelOptions} fields of a larger options object (those that are set), e.g. to hand a detector's
 * model settings to the scorer it runs.
 *
 * @param opts - options that include model options
 * @example
 * ```ts
 * pickModelOptions({ model: 'Xenova/gpt2', threshold: 0.7 }); // { model: 'Xenova/gpt2' }
 * ```
 *
 * @internal
 */
export function pickModelOptions(opts: ModelOptions): ModelOptions {
  const out: ModelOptions = {};
  for (const key of [...SERIALIZABLE_KEYS, 'onProgress'] as const) {
    if (opts[key] !== undefined) (out as Record<string, unknown>)[key] = opts[key];
  }
  return out;
}

/**
 * Reads back what {@link serializeModelOptions} wrote, ignoring unknown fields.
 *
 * @param state - a JSON object (from a detector's saved state)
 * @example
 * ```ts
 * deserializeModelOptions({ model: 'Xenova/gpt2', dtype: 'q8' }).dtype; // 'q8'
 * ```
 */
export function deserializeModelOptions(state: unknown): ModelOptions {
  if (typeof state !== 'object' || state === null) return {};
  const s = state as Record<string, unknown>;
  const out: ModelOptions = {};
  for (const key of ['model', 'modelDir', 'revision', 'cacheDir'] as const) {
    const v = s[key];
    if (typeof v === 'string') out[key] = v;
  }
  if (typeof s['dtype'] === 'string') out.dtype = s['dtype'] as ModelDtype;
  if (typeof s['device'] === 'string') out.device = s['device'] as ModelDevice;
  if (typeof s['offline'] === 'boolean') out.offline = s['offline'];
  if (typeof s['threads'] === 'number') out.threads = s['threads'];
  validateModelOptions(out);
  return out;
}

/**
 * Model options read back from a saved state ({@link deserializeModelOptions}) and relocated as the loader asks
 * ({@link relocateModelOptions}).
 *
 * @param saved - what {@link serializeModelOptions} wrote, as read from the state
 * @param where - the relocation
 * @internal
 */
export function relocateSavedModelOptions(saved: unknown, where: ModelRelocation): ModelOptions {
  return relocateModelOptions(deserializeModelOptions(saved), where);
}

/** Every key of {@link ModelRelocation}, for the options checks of the functions that load saved detectors. @internal */
export const MODEL_RELOCATION_KEYS: OptionKeys<ModelRelocation> = {
  modelDir: true,
  cacheDir: true,
  offline: true,
  onProgress: true,
  threads: true,
  device: true,
};
