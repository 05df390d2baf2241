import type {
  PreTrainedModel,
  PreTrainedTokenizer,
  PretrainedConfig,
  Processor,
  ProgressInfo,
} from '@huggingface/transformers';
import { importOptional } from '../core/optional-import.js';
import { OPTIONAL_NEEDS } from '../core/optional-needs.js';
import { MissingDependencyError } from '../errors/missing-dependency-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { verifyPulledFolder } from '../fs/file-digest.js';
import { resolveCacheDir } from '../hub/cache-dir.js';
import { missingCudaProvider } from './cuda-provider.js';
import { withDeviceFallback } from './device.js';
import { fetchHubModel } from './fetch-hub-model.js';
import { checkModelFolder, type ModelTask } from './model-files.js';
import {
  type AcquireModelOptions,
  type ResolvedLocation,
  resolveModelLocation,
  toModelLoadError,
} from './model-location.js';
import type { LoadProgress, ModelDevice, ModelDtype } from './model-options.js';

export type { ModelTask } from './model-files.js';

/** The `@huggingface/transformers` module, as {@link loadTransformers} returns it. */
export type Transformers = typeof import('@huggingface/transformers');

/**
 * A loaded model, shared: every {@link acquireModel} call with the same key gets the same tokenizer, model and
 * ONNX sessions. Call {@link ModelHandle.release} when done; the last release frees the sessions.
 *
 * @example
 * ```ts
 * const h = await acquireModel('feature-extraction', { defaultModel: 'Xenova/e5-small-v2' });
 * try {
 *   const enc = h.tokenizer(['hello'], { padding: true });
 *   const out = await h.model(enc);
 * } finally {
 *   await h.release();
 * }
 * ```
 */
export interface ModelHandle {
  /** Cache key: resolved location + revision + dtype + task. */
  readonly key: string;
  /** The absolute folder path or hub id actually loaded. */
  readonly location: string;
  /** The tokenizer. */
  readonly tokenizer: PreTrainedTokenizer;
  /** The model; for `clip`, the text tower (with projection). */
  readonly model: PreTrainedModel;
  /** `clip` only: the vision tower (with projection). */
  readonly clipVision?: PreTrainedModel;
  /** `clip` only: the image processor. */
  readonly processor?: Processor;
  /** The parsed `config.json`. */
  readonly config: Record<string, unknown>;
  /** The device the sessions run on (`cpu` after a fallback). */
  readonly device: ModelDevice;
  /** The dtype loaded. */
  readonly dtype: ModelDtype;
  /**
   * Gives this handle back. Idempotent per handle; when the last handle for a key is released the ONNX
   * sessions are disposed.
   */
  release(): Promise<void>;
}

/** A snapshot of one shared model, from {@link loadedModels}. */
export interface LoadedModelInfo {
  /** The cache key. */
  key: string;
  /** How many handles hold it. */
  refs: number;
}

interface Loaded {
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  clipVision?: PreTrainedModel;
  processor?: Processor;
  config: Record<string, unknown>;
  device: ModelDevice;
}

interface Entry {
  promise: Promise<Loaded>;
  refs: number;
  /** {@link holdModelLoad} holds: while any is held, a loaded model stays loaded with no handle on it. */
  holds: number;
}

let transformersPromise: Promise<Transformers> | undefined;
const registry = new Map<string, Entry>();

/**
 * Imports `@huggingface/transformers` once, lazily (importing botlens does not load it). Its global `env` is
 * not touched: the botlens cache folder (never inside `node_modules`) and offline mode (`BOTLENS_OFFLINE=1`)
 * are passed per call, so two libraries sharing transformers.js do not overwrite each other's settings. Use
 * the returned module's own `Tensor` class for model inputs.
 *
 * @throws MissingDependencyError when `@huggingface/transformers` (an optional peer dependency) is not installed
 * @throws ModelLoadError when the package is installed but cannot be imported
 * @throws InvalidOptionsError when `BOTLENS_CACHE_DIR` points inside `node_modules`
 * @example
 * ```ts
 * const { Tensor } = await loadTransformers();
 * const ids = new Tensor('int64', BigInt64Array.from([101n, 102n]), [1, 2]);
 * ```
 */
export function loadTransformers(): Promise<Transformers> {
  if (!transformersPromise) {
    const p = (async () => {
      let mod: Transformers;
      try {
        mod = await importOptional(
          '@huggingface/transformers',
          OPTIONAL_NEEDS.models.feature,
          () => import('@huggingface/transformers'),
        );
      } catch (cause) {
        // Not installed: the optional peer dependency's install command. Installed but broken: a load error.
        if (MissingDependencyError.isInstance(cause)) throw cause;
        throw new ModelLoadError(
          '@huggingface/transformers',
          'Could not import @huggingface/transformers: reinstall it (npm install @huggingface/transformers) so its files and native runtime are complete.',
          { cause },
        );
      }
      // transformers.js's global `env` is left as the application set it: the cache folder, offline mode and
      // local-folder loading are passed with every call (`cache_dir`, `local_files_only`; see loadAll).
      resolveCacheDir(); // still refuse a BOTLENS_CACHE_DIR inside node_modules before anything loads
      return mod;
    })();
    // A failure (missing package, BOTLENS_CACHE_DIR inside node_modules) is not cached: the next call retries.
    p.catch(() => {
      if (transformersPromise === p) transformersPromise = undefined;
    });
    transformersPromise = p;
  }
  return transformersPromise;
}

function keyOf(task: ModelTask, where: ResolvedLocation, dtype: ModelDtype): string {
  return JSON.stringify([task, where.location, where.local ? '' : where.revision, dtype]);
}

function progressAdapter(
  onProgress: ((p: LoadProgress) => void) | undefined,
  model: string,
): ((info: ProgressInfo) => void) | undefined {
  if (!onProgress) return undefined;
  return (info: ProgressInfo) => {
    const i = info as unknown as Record<string, unknown>;
    const status = i['status'];
    if (status !== 'initiate' && status !== 'download' && status !== 'progress' && status !== 'done') return;
    const p: LoadProgress = { status, model };
    if (typeof i['file'] === 'string') p.file = i['file'];
    if (typeof i['progress'] === 'number') p.progress = i['progress'];
    if (typeof i['loaded'] === 'number') p.loaded = i['loaded'];
    if (typeof i['total'] === 'number') p.total = i['total'];
    try {
      onProgress(p);
    } catch {
      // A throwing progress callback must not break loading.
    }
  };
}

async function loadAll(
  T: Transformers,
  task: ModelTask,
  where: ResolvedLocation,
  opts: AcquireModelOptions,
  dtype: ModelDtype,
): Promise<Loaded> {
  // The main graph's name in a local folder, for transformers.js's `model_file_name`.
  let graph: string | undefined;
  if (where.local) {
    graph = await checkModelFolder(where.location, task, dtype, where.fix);
    // A folder `botlens pull` filled carries the hub's SHA-256s: refuse files that no longer match.
    await verifyPulledFolder(where.location);
  }
  const progress_callback = progressAdapter(opts.onProgress, where.model);
  const common = {
    revision: where.revision,
    cache_dir: where.cacheDir,
    // Required for folders: without it transformers.js throws on optional files (generation_config.json...)
    // and may look files up remotely. Absolute paths are never valid hub ids, so nothing is fetched for them.
    local_files_only: where.local,
    ...(progress_callback ? { progress_callback } : {}),
  };
  const session_options = opts.threads !== undefined ? { intraOpNumThreads: opts.threads } : {};
  const model_file_name = graph !== undefined && graph !== 'model' ? graph : undefined;
  const tokenizer = await T.AutoTokenizer.from_pretrained(where.location, common);
  const { value, device } = await withDeviceFallback(opts.device ?? 'cpu', async (dev) => {
    // A CPU-only ONNX Runtime is known before it is asked (and prints an error line of its own).
    const noGpu = missingCudaProvider(dev);
    if (noGpu !== undefined) throw new Error(noGpu);
    const modelOpts = {
      ...common,
      dtype,
      device: dev,
      session_options,
      ...(model_file_name ? { model_file_name } : {}),
    };
    if (task === 'clip') {
      const text = await T.CLIPTextModelWithProjection.from_pretrained(where.location, modelOpts);
      try {
        const vision = await T.CLIPVisionModelWithProjection.from_pretrained(where.location, modelOpts);
        const processor = await T.AutoProcessor.from_pretrained(where.location, common);
        return { model: text, clipVision: vision, processor };
      } catch (err) {
        await text.dispose().catch(() => undefined);
        throw err;
      }
    }
    const cls =
      task === 'feature-extraction'
        ? T.AutoModel
        : task === 'sequence-classification'
          ? T.AutoModelForSequenceClassification
          : T.AutoModelForCausalLM;
    return { model: await cls.from_pretrained(where.location, modelOpts) };
  });
  const config = configRecord(value.model.config);
  return { tokenizer, ...value, config, device };
}

function configRecord(config: PretrainedConfig | undefined): Record<string, unknown> {
  return { ...((config ?? {}) as unknown as Record<string, unknown>) };
}

async function disposeLoaded(l: Loaded): Promise<void> {
  await Promise.allSettled([l.model.dispose(), l.clipVision?.dispose()]);
}

/** The registry entry for a model: the one loading or loaded, else a new one that starts the load. */
function entryFor(
  task: ModelTask,
  opts: AcquireModelOptions,
): { key: string; where: ResolvedLocation; entry: Entry; dtype: ModelDtype } {
  const dtype = opts.dtype ?? 'fp32';
  const where = resolveModelLocation(opts);
  const key = keyOf(task, where, dtype);
  const found = registry.get(key);
  if (found) return { key, where, entry: found, dtype };
  const created: Entry = {
    refs: 0,
    holds: 0,
    // A hub id is first pulled (verified) into the cache; transformers.js then only reads local files.
    promise: loadTransformers().then(async (T) =>
      loadAll(
        T,
        task,
        where.local ? where : await fetchHubModel(task, where, dtype, opts.onProgress),
        opts,
        dtype,
      ),
    ),
  };
  // On failure forget the entry, held or not, so a later call (after fixing the files, or after a hub blip)
  // tries again: a failure kept for a whole run would fail every record of a long corpus run or service.
  created.promise.catch(() => {
    if (registry.get(key) === created) registry.delete(key);
  });
  registry.set(key, created);
  return { key, where, entry: created, dtype };
}

/**
 * Holds the outcome of loading a model until the returned release is called: while held, {@link acquireModel}
 * with the same task and options shares the load. Starts the load when none is under way. For a start-up check
 * that loads a model before the detector that scores loads it: the start-up then costs one load. A failed load is
 * not held: the next acquirer tries again (the files may have been fixed, the hub may answer), as without a hold.
 *
 * @param task - which model class to load
 * @param opts - where the model is, as the detector will acquire it
 * @returns the release: idempotent; a model loaded for the hold alone (no handle acquired it) is freed
 * @internal
 */
export function holdModelLoad(task: ModelTask, opts: AcquireModelOptions): () => Promise<void> {
  const { key, entry } = entryFor(task, opts);
  entry.holds++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    entry.holds--;
    if (entry.holds > 0 || entry.refs > 0 || registry.get(key) !== entry) return;
    registry.delete(key);
    const loaded = await entry.promise.catch(() => undefined);
    if (loaded) await disposeLoaded(loaded);
  };
}

/**
 * Loads a model for a task, or reuses it: two calls with the same resolved location, revision, dtype and task
 * share one tokenizer and one set of ONNX sessions (reference-counted; each caller releases its own handle).
 * Every model-backed class in botlens loads through here.
 *
 * Offline (option, `modelDir`, or `BOTLENS_OFFLINE=1`) nothing is fetched: the model must be a local folder,
 * `<modelDir>/<model>/`, or already in the cache.
 *
 * @param task - which model class to load
 * @param opts - where the model is and how to run it, plus the caller's default model
 * @throws ModelLoadError naming the missing or broken file and how to fix it
 * @throws InvalidOptionsError for bad options
 *
 * @example
 * ```ts
 * const a = await acquireModel('sequence-classification', { defaultModel: 'Xenova/bart-large-mnli', dtype: 'q8' });
 * const b = await acquireModel('sequence-classification', { defaultModel: 'Xenova/bart-large-mnli', dtype: 'q8' });
 * a.model === b.model; // true: one session
 * await a.release();
 * await b.release(); // sessions freed here
 * ```
 */
export async function acquireModel(task: ModelTask, opts: AcquireModelOptions): Promise<ModelHandle> {
  const { key, where, entry, dtype } = entryFor(task, opts);
  entry.refs++;
  let loaded: Loaded;
  const report = (status: 'ready' | 'failed') => {
    try {
      opts.onProgress?.({ status, model: where.model });
    } catch {
      // ignore a throwing progress callback
    }
  };
  try {
    loaded = await entry.promise;
  } catch (err) {
    entry.refs--;
    // A progress bar stops here, rather than being left running under the error.
    report('failed');
    throw toModelLoadError(err, where);
  }
  report('ready');
  const held = entry;
  let released = false;
  const handle: ModelHandle = {
    key,
    location: where.location,
    tokenizer: loaded.tokenizer,
    model: loaded.model,
    ...(loaded.clipVision ? { clipVision: loaded.clipVision } : {}),
    ...(loaded.processor ? { processor: loaded.processor } : {}),
    config: loaded.config,
    device: loaded.device,
    dtype,
    async release() {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs <= 0 && registry.get(key) === held) {
        registry.delete(key);
        await disposeLoaded(loaded);
      }
    },
  };
  return Object.freeze(handle);
}

/**
 * The models currently loaded and how many handles hold each (for diagnostics and tests).
 *
 * @example
 * ```ts
 * loadedModels(); // [{ key: '["feature-extraction","/models/tiny-bert","","fp32"]', refs: 2 }]
 * ```
 */
export function loadedModels(): LoadedModelInfo[] {
  return [...registry.entries()].map(([key, e]) => ({ key, refs: e.refs }));
}
