import { homedir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * Expands a leading `~` to the home directory and makes the path absolute (against the working directory).
 *
 * @param p - a file or folder path
 * @example
 * ```ts
 * expandHome('~/models'); // '/home/me/models'
 * ```
 */
export function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return join(homedir(), p.slice(2));
  return resolve(p);
}

/**
 * The folder where botlens caches downloaded models: `cacheDir` if given, else `$BOTLENS_CACHE_DIR`, else
 * `~/.cache/botlens`. Refuses folders inside `node_modules`, which package managers delete.
 *
 * @param cacheDir - an explicit folder (from {@link ModelOptions.cacheDir})
 * @throws InvalidOptionsError when the folder is inside `node_modules`
 *
 * @example
 * ```ts
 * resolveCacheDir(); // '/home/me/.cache/botlens'
 * ```
 */
export function resolveCacheDir(cacheDir?: string): string {
  const fromEnv = process.env['BOTLENS_CACHE_DIR'];
  const raw =
    cacheDir ??
    (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : join(homedir(), '.cache', 'botlens'));
  const dir = expandHome(raw);
  if (dir.split(sep).includes('node_modules')) {
    throw new InvalidOptionsError(
      cacheDir !== undefined ? 'cacheDir' : 'BOTLENS_CACHE_DIR',
      `"${dir}" is inside node_modules, which npm deletes on install: use a folder such as ~/.cache/botlens`,
    );
  }
  return dir;
}

/** Options for {@link cachedModelFolder}. */
export interface CachedModelFolderOptions {
  /**
   * The cache root.
   * @defaultValue {@link resolveCacheDir}()
   */
  cacheDir?: string;
  /**
   * The pinned revision.
   * @defaultValue 'main'
   */
  revision?: string;
}

/**
 * Where a hub model's files live in the botlens cache: `<cacheDir>/<id>/` for revision `main`,
 * `<cacheDir>/<id>/<revision>/` for a pinned revision. This is the layout transformers.js writes when it
 * downloads into the cache, so `botlens pull` and offline loading agree on it.
 *
 * @param id - hub model id, e.g. `Xenova/e5-small-v2`
 * @param options - cache root and revision
 * @example
 * ```ts
 * cachedModelFolder('Xenova/e5-small-v2'); // '/home/me/.cache/botlens/Xenova/e5-small-v2'
 * ```
 */
export function cachedModelFolder(id: string, options: CachedModelFolderOptions = {}): string {
  if (isAbsolute(id) || id.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new InvalidOptionsError('model', `"${id}" is not a hub model id (expected "owner/name")`);
  }
  const root = resolveCacheDir(options.cacheDir);
  const revision = options.revision ?? 'main';
  return revision === 'main' ? join(root, ...id.split('/')) : join(root, ...id.split('/'), revision);
}
