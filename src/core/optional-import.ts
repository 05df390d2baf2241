import { MissingDependencyError } from '../errors/missing-dependency-error.js';

/**
 * Imports an optional peer dependency, turning "module not found" into a {@link MissingDependencyError} that
 * names the install command. `load` must be a literal `() => import('pkg')` so bundlers still see the import.
 * Other load failures (a broken native binary, a syntax error) are rethrown unchanged.
 *
 * @param packageName - the npm package `load` imports
 * @param feature - what needs it, in words, e.g. `"Model-backed detectors"`
 * @param load - the dynamic import
 */
export async function importOptional<T>(
  packageName: string,
  feature: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    if (isModuleNotFound(cause, packageName)) {
      throw new MissingDependencyError(packageName, feature, { cause });
    }
    throw cause;
  }
}

function isModuleNotFound(err: unknown, packageName: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return notFound && typeof message === 'string' && message.includes(packageName);
}
