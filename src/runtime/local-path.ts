import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { expandHome } from '../hub/cache-dir.js';

/**
 * True when `model` names a local folder rather than a hub id: an absolute path, a path starting with `.`,
 * `..` or `~`, a Windows drive path, or an existing directory (which wins over a hub id of the same name, as in
 * Python transformers).
 *
 * @param model - the `model` option
 * @example
 * ```ts
 * isLocalModelPath('./models/tiny-bert'); // true
 * isLocalModelPath('Xenova/gpt2'); // false (unless ./Xenova/gpt2 exists)
 * ```
 */
export function isLocalModelPath(model: string): boolean {
  if (isAbsolute(model) || model === '.' || model === '..' || model === '~') return true;
  if (/^(\.{1,2}|~)[\\/]/.test(model)) return true;
  if (/^[a-zA-Z]:[\\/]/.test(model)) return true;
  // Like Python transformers: an existing directory wins over a hub id of the same name.
  try {
    return existsSync(model) && statSync(model).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A local model folder as an absolute path (`~` expanded, relative paths resolved against the working
 * directory), so that saved state names the same folder from any working directory; a hub id is returned as is.
 *
 * @param model - the `model` option
 * @example
 * ```ts
 * absoluteModelPath('./models/tiny-bert'); // '/home/me/app/models/tiny-bert'
 * absoluteModelPath('Xenova/gpt2'); // 'Xenova/gpt2'
 * ```
 *
 * @internal
 */
export function absoluteModelPath(model: string): string {
  return isLocalModelPath(model) ? resolve(expandHome(model)) : model;
}

/**
 * A folder option (`modelDir`, `cacheDir`) as an absolute path, `~` expanded.
 *
 * @param dir - the folder as given
 *
 * @internal
 */
export function absoluteDir(dir: string): string {
  return resolve(expandHome(dir));
}

/**
 * A short, path-free name for a model: the hub id as given, or the folder's base name for a local path.
 *
 * @param model - a hub id or a folder
 * @example
 * ```ts
 * shortModelName('/models/tiny-bert'); // 'tiny-bert'
 * shortModelName('Xenova/gpt2'); // 'Xenova/gpt2'
 * ```
 */
export function shortModelName(model: string): string {
  return isLocalModelPath(model) ? basename(expandHome(model)) : model;
}
