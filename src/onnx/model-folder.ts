import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelLoadError } from '../errors/model-load-error.js';
import { tempSiblingPath } from '../fs/atomic-write.js';
import { cachedModelFolder, resolveCacheDir } from '../hub/cache-dir.js';
import { acquireModel, type ModelTask } from '../runtime/load-model.js';
import { type AcquireModelOptions, resolveModelLocation } from '../runtime/model-location.js';

/**
 * The local folder of a model: the folder itself for a path (or `modelDir` / offline cache lookups), else the
 * hub model is fetched into the botlens cache through the model runtime (as any detector would) and its cache
 * folder is returned. Editing ONNX weights needs the files on disk, which this guarantees.
 *
 * @param task - the model class, used for the fetch
 * @param opts - model options and the default model
 * @throws ModelLoadError when the model cannot be found or fetched
 */
export async function localModelFolder(task: ModelTask, opts: AcquireModelOptions): Promise<string> {
  const where = resolveModelLocation({ ...opts, dtype: 'fp32' });
  if (where.local) return where.location;
  const h = await acquireModel(task, { ...opts, dtype: 'fp32' });
  await h.release();
  return cachedModelFolder(where.model, { cacheDir: where.cacheDir, revision: where.revision });
}

/**
 * A content hash of a model folder's `onnx/model.onnx` plus extra strings (file sizes and bytes are read once).
 *
 * @param parts - file paths (hashed by content) and strings (hashed as given), in order
 */
export async function contentKey(parts: readonly ({ file: string } | string)[]): Promise<string> {
  const h = createHash('sha256');
  for (const p of parts) {
    if (typeof p === 'string') h.update(`s:${p}\n`);
    else {
      try {
        h.update(`f:${p.file}\n`);
        h.update(await readFile(p.file));
      } catch (cause) {
        throw new ModelLoadError(p.file, `Cannot read ${p.file}: check the path.`, { file: p.file, cause });
      }
    }
  }
  return h.digest('hex').slice(0, 24);
}

/**
 * A model folder derived from another (a merged model, a model with extra outputs), built once and kept in the
 * botlens cache under `derived/<kind>-<key>/`. Built in a temporary folder then renamed, so a half-written
 * folder is never used.
 *
 * @param kind - a short name, e.g. `merged`
 * @param key - a content key from {@link contentKey}
 * @param build - writes the folder's files into the given directory
 * @param cacheDir - the cache root (default: the botlens cache)
 * @param marker - a path inside the folder whose presence means the folder is complete
 */
export async function derivedModelFolder(
  kind: string,
  key: string,
  build: (dir: string) => Promise<void>,
  cacheDir?: string,
  marker = 'onnx',
): Promise<string> {
  const root = join(resolveCacheDir(cacheDir), 'derived');
  const dir = join(root, `${kind}-${key}`);
  if (await pathExists(join(dir, marker))) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  try {
    await build(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (await pathExists(join(dir, marker))) return dir; // another process built it meanwhile
    throw err;
  }
  return dir;
}

const NOT_COPIED = /\.(onnx|onnx_data|safetensors|bin|pt|pth|h5|msgpack|ckpt)$/i;

/** Options for {@link copyModelMetadata}. */
export interface CopyModelMetadataOptions {
  /**
   * Copy `adapter_*` files (a PEFT adapter's config) too.
   * @defaultValue false
   */
  keepAdapterFiles?: boolean;
}

/**
 * Copies a model folder's small files (config, tokenizer and the like; no weights) into `dest`.
 *
 * @param src - the model folder
 * @param dest - the destination folder (created)
 * @param options - which files to keep
 */
export async function copyModelMetadata(
  src: string,
  dest: string,
  options: CopyModelMetadataOptions = {},
): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(src, { withFileTypes: true })) {
    if (!entry.isFile() || NOT_COPIED.test(entry.name)) continue;
    if (!options.keepAdapterFiles && entry.name.startsWith('adapter_')) continue;
    // Through a temporary sibling and a rename: a symlink already at the destination is replaced, never followed.
    const target = join(dest, entry.name);
    const tmp = tempSiblingPath(target);
    await copyFile(join(src, entry.name), tmp);
    await rename(tmp, target).catch(async (err: unknown) => {
      await rm(tmp, { force: true });
      throw err;
    });
  }
}

/**
 * Whether something exists at `path` (any error reading it counts as no).
 *
 * @param path - a file or folder path
 *
 * @internal
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
