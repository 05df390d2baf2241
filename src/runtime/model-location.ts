/**
 * Where a model comes from: a hub id, a local folder, `modelDir` or the offline cache, resolved once per load, and
 * the translation of load failures into a `ModelLoadError` that names the file and the fix.
 *
 * @module
 */
import { join } from 'node:path';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { assertRevision, cachedModelFolder, expandHome, resolveCacheDir } from '../hub/cache-dir.js';
import { isLocalModelPath } from './local-path.js';
import { type ModelOptions, offlineFromEnv, validateModelOptions } from './model-options.js';

/** Options for {@link acquireModel}: the {@link ModelOptions} plus the caller's default model. */
export interface AcquireModelOptions extends ModelOptions {
  /** The model to load when `model` is not set (a hub id from the model zoo). */
  defaultModel: string;
}

/** Where a model comes from, after resolving `model`, `modelDir`, `offline` and the cache. */
export interface ResolvedLocation {
  /** Absolute folder path (local) or hub id (remote). */
  location: string;
  /** True when `location` is a local folder: nothing is fetched then. */
  local: boolean;
  /** The model as the user named it (for messages). */
  model: string;
  /** The revision (`main` unless pinned). */
  revision: string;
  /** The cache root. */
  cacheDir: string;
  /** Whether fetching is forbidden. */
  offline: boolean;
  /** A sentence saying how to make the model available, for error messages. */
  fix: string;
}

export { isLocalModelPath };

const HUB_ID = /^(?:[\w\-.]+\/)?[\w\-.]{1,96}$/;

/**
 * Works out where a model comes from: a local folder (`model` as a path, `<modelDir>/<model>`, or the cache
 * folder when offline) or a hub id to download. Pure path logic; checks no file.
 *
 * @param opts - the model options and the caller's default model
 * @throws InvalidOptionsError for a malformed model id or cache folder
 * @example
 * ```ts
 * resolveModelLocation({ model: 'Xenova/gpt2', offline: true, defaultModel: 'Xenova/gpt2' }).location;
 * // '/home/me/.cache/botlens/Xenova/gpt2'
 * ```
 */
export function resolveModelLocation(opts: AcquireModelOptions): ResolvedLocation {
  validateModelOptions(opts);
  const model = opts.model ?? opts.defaultModel;
  const revision = opts.revision ?? 'main';
  // The revision also names a cache folder (here and in transformers.js): never a path out of it.
  assertRevision(revision);
  const cacheDir = resolveCacheDir(opts.cacheDir);
  const offline = opts.modelDir !== undefined || (opts.offline ?? offlineFromEnv());
  const layout = 'config.json, tokenizer.json, tokenizer_config.json and onnx/*.onnx';
  if (isLocalModelPath(model)) {
    const location = expandHome(model);
    return {
      location,
      local: true,
      model,
      revision,
      cacheDir,
      offline,
      fix: `Point "model" at a folder in the transformers.js layout (${layout}).`,
    };
  }
  if (!HUB_ID.test(model) || model.includes('..') || model.includes('--')) {
    throw new InvalidOptionsError(
      'model',
      `"${model}" is neither an existing folder nor a hub model id like "Xenova/e5-small-v2"`,
    );
  }
  const pull = `\`botlens pull ${model}${revision !== 'main' ? ` --revision ${revision}` : ''}\``;
  if (opts.modelDir !== undefined) {
    const base = expandHome(opts.modelDir);
    return {
      location: join(base, ...model.split('/')),
      local: true,
      model,
      revision,
      cacheDir,
      offline: true,
      fix: `modelDir must hold the folder ${model}/ (${layout}): copy it there, or run ${pull} and point modelDir at the cache (${cacheDir}).`,
    };
  }
  if (offline) {
    return {
      location: cachedModelFolder(model, { cacheDir, revision }),
      local: true,
      model,
      revision,
      cacheDir,
      offline: true,
      fix: `Offline mode never downloads: run once online (without offline / BOTLENS_OFFLINE) to cache it in ${cacheDir}, run ${pull}, or set modelDir to a folder holding ${model}/.`,
    };
  }
  return {
    location: model,
    local: false,
    model,
    revision,
    cacheDir,
    offline: false,
    fix: `Check the model id and your network, set HF_TOKEN for gated models, or go offline with a local copy (${pull}, or modelDir).`,
  };
}

/**
 * Turns whatever transformers.js or ONNX Runtime threw into a {@link ModelLoadError} naming the file and the fix.
 *
 * @param err - the thrown value
 * @param where - the resolved location
 * @returns a ModelLoadError (the same object when it already is one)
 */
export function toModelLoadError(err: unknown, where: ResolvedLocation): BotlensError {
  if (BotlensError.isInstance(err)) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const name = where.model;
  let m = /(?:found locally at|Local file missing at) "([^"]+)"/.exec(msg);
  if (m) {
    return new ModelLoadError(name, `Model file "${m[1]}" is missing. ${where.fix}`, {
      file: m[1],
      cause: err,
    });
  }
  m = /Load model from (.+?) failed:\s*(.*)/s.exec(msg);
  if (m) {
    return new ModelLoadError(
      name,
      `ONNX Runtime could not load "${m[1]}" (${m[2]!.trim().split('\n')[0]}): the file is corrupt, truncated or not an ONNX model. Delete it and get it again. ${where.fix}`,
      { file: m[1], cause: err },
    );
  }
  m = /(?:Could not locate file|Unauthorized access to file|Forbidden access to file): "([^"]+)"/.exec(msg);
  if (m) {
    return new ModelLoadError(
      name,
      `The hub did not serve "${m[1]}" (missing file, wrong revision "${where.revision}", or a private/gated repo). ${where.fix}`,
      { file: m[1], cause: err },
    );
  }
  if (/fetch failed|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network/i.test(msg)) {
    return new ModelLoadError(name, `Could not download "${name}" (${msg}). ${where.fix}`, { cause: err });
  }
  return new ModelLoadError(
    name,
    `Could not load model "${name}" from "${where.location}": ${msg}. ${where.fix}`,
    {
      cause: err,
    },
  );
}
