/**
 * The download step of model loading: a hub model is fetched through the verified pull (SHA-256 checked, atomic
 * writes) into the botlens cache and then loaded from there as a local folder, so transformers.js never downloads
 * anything itself.
 *
 * @module
 */
import type { ModelDtype } from '../core/model-dtypes.js';
import { AbortedError } from '../errors/aborted-error.js';
import { IntegrityError } from '../errors/integrity-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { readPullManifest } from '../fs/file-digest.js';
import { cachedModelFolder } from '../hub/cache-dir.js';
import type { LoadProgress } from '../hub/load-progress.js';
import { pullModel } from '../hub/pull-model.js';
import { graphFileCandidates, type ModelTask, mainGraphNames, requiredModelFiles } from './model-files.js';
import type { ResolvedLocation } from './model-location.js';

/** The ONNX graphs transformers.js loads for a task (`loadAll` picks `decoder_model_merged` when `model` is absent). */
const taskGraphs = (task: ModelTask): readonly string[] =>
  task === 'clip' ? CLIP_GRAPHS : mainGraphNames(task);
const CLIP_GRAPHS: readonly string[] = Object.freeze(['text_model', 'vision_model']);

/** Whether a pull of this id and revision already put every file the task and dtype need in the folder. */
async function alreadyPulled(
  folder: string,
  where: ResolvedLocation,
  task: ModelTask,
  dtype: ModelDtype,
): Promise<boolean> {
  const manifest = await readPullManifest(folder);
  if (manifest?.id !== where.model || manifest.revision !== where.revision) return false;
  const listed = new Set(manifest.files.map((f) => f.path));
  return requiredModelFiles(task, dtype).every((f) =>
    graphFileCandidates(task, dtype, f).some((c) => listed.has(c)),
  );
}

/**
 * Makes a hub model a local folder before it is loaded. A folder a pull already filled for this id, revision,
 * task and dtype is used as it is (loading then checks its files against the pull's SHA-256 manifest); anything
 * else is pulled (`pullModel`: only the graphs the task runs, every LFS file checked against the SHA-256 the hub
 * lists, each file written under a temporary name and renamed when complete). The hub is `$HF_ENDPOINT` (default
 * https://huggingface.co) with `$HF_TOKEN`, as for `botlens pull`.
 *
 * @param task - what the model is loaded for
 * @param where - the resolved hub location (`local: false`)
 * @param dtype - the weight variant
 * @param onProgress - download events
 * @returns the same location, now the local cache folder
 * @throws IntegrityError when a download does not match the SHA-256 the hub lists (nothing is kept)
 * @throws ModelLoadError when the hub cannot serve the model (not found, gated, offline, no file for the dtype)
 * @internal
 */
export async function fetchHubModel(
  task: ModelTask,
  where: ResolvedLocation,
  dtype: ModelDtype,
  onProgress: ((p: LoadProgress) => void) | undefined,
): Promise<ResolvedLocation> {
  let folder: string;
  try {
    folder = cachedModelFolder(where.model, { cacheDir: where.cacheDir, revision: where.revision });
    if (!(await alreadyPulled(folder, where, task, dtype))) {
      const pulled = await pullModel(where.model, {
        revision: where.revision,
        cacheDir: where.cacheDir,
        dtypes: [dtype],
        graphs: taskGraphs(task),
        ...(onProgress ? { onProgress: quiet(onProgress) } : {}),
      });
      folder = pulled.folder;
    }
  } catch (err) {
    if (IntegrityError.isInstance(err) || AbortedError.isInstance(err)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ModelLoadError(where.model, `Could not download "${where.model}": ${reason} ${where.fix}`, {
      cause: err,
    });
  }
  return { ...where, location: folder, local: true };
}

/** A progress callback that cannot break the download by throwing; `ready` and `failed` are left to the loader. */
function quiet(onProgress: (p: LoadProgress) => void): (p: LoadProgress) => void {
  return (p) => {
    if (p.status === 'ready' || p.status === 'failed') return;
    try {
      onProgress(p);
    } catch {
      // ignore a throwing progress callback
    }
  };
}
