import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { assertInside } from '../fs/safe-paths.js';

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
  assertHubModelId(id, 'model');
  const revision = options.revision ?? 'main';
  assertRevision(revision);
  const root = resolveCacheDir(options.cacheDir);
  const folder =
    revision === 'main' ? join(root, ...id.split('/')) : join(root, ...id.split('/'), ...revision.split('/'));
  // The checks above keep the path lexically inside the cache; this one also catches a symlink inside the cache
  // that points elsewhere.
  assertInside(root, folder, revision === 'main' ? 'model' : 'revision');
  return folder;
}

const ID_PART = /^[A-Za-z0-9][\w.-]{0,95}$/;

/**
 * Checks a hub model id: `name` or `owner/name`, each part of letters, digits, `-`, `_` and `.`, starting with a
 * letter or digit, with no `..` or `--` (so it can never name a folder outside the cache).
 *
 * @param id - the id to check
 * @param option - the option it came from, for the message
 * @throws InvalidOptionsError for anything else
 * @example
 * ```ts
 * assertHubModelId('Xenova/e5-small-v2'); // ok
 * assertHubModelId('../etc'); // throws
 * ```
 */
export function assertHubModelId(id: string, option = 'model'): void {
  const parts = typeof id === 'string' ? id.split('/') : [];
  if (
    parts.length < 1 ||
    parts.length > 2 ||
    !parts.every((p) => ID_PART.test(p)) ||
    id.includes('..') ||
    id.includes('--')
  ) {
    throw new InvalidOptionsError(
      option,
      `${describeValue(id)} is not a hub model id (expected "owner/name", e.g. "Xenova/e5-small-v2")`,
    );
  }
}

const REVISION_PART = /^[A-Za-z0-9_][\w.-]*$/;

/**
 * Checks a git revision: a commit sha, or a branch or tag name (`main`, `v1.0`, `refs/pr/3`). Parts separated by
 * `/` hold letters, digits, `-`, `_` and `.`, never start with `.` or `-`, never hold `..` and never end in
 * `.lock` (git's own rules, narrowed to what the hub uses), so a revision can never name a folder outside the
 * cache.
 *
 * @param revision - the revision to check
 * @param option - the option it came from, for the message
 * @throws InvalidOptionsError for anything else
 * @example
 * ```ts
 * assertRevision('v1.2'); // ok
 * assertRevision('../../tmp/x'); // throws
 * ```
 */
export function assertRevision(revision: string, option = 'revision'): void {
  const ok =
    typeof revision === 'string' &&
    revision.length > 0 &&
    revision.length <= 255 &&
    !revision.includes('..') &&
    revision.split('/').every((p) => REVISION_PART.test(p) && !p.endsWith('.lock'));
  if (!ok) {
    throw new InvalidOptionsError(
      option,
      `${describeValue(revision)} is not a branch, tag or commit sha (letters, digits, "-", "_", "." and "/" between parts; no "..")`,
    );
  }
}
