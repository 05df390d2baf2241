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

/**
 * Imports every optional package a feature needs and, when some are not installed, throws one
 * {@link MissingDependencyError} naming them all (one `npm install` line), instead of one per attempt. Each `load`
 * must be a literal `() => import('pkg')`. Other load failures are rethrown unchanged.
 *
 * @param feature - what needs them, in words, e.g. `"The HTTP service"`
 * @param loads - each package's name and its dynamic import
 * @throws MissingDependencyError listing every missing package
 * @internal
 */
export async function importAllOptional(
  feature: string,
  loads: readonly (readonly [packageName: string, load: () => Promise<unknown>])[],
): Promise<void> {
  const results = await Promise.allSettled(loads.map(([name, load]) => importOptional(name, feature, load)));
  const missing: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') continue;
    if (!MissingDependencyError.isInstance(r.reason)) throw r.reason;
    missing.push(r.reason.packageName);
  }
  if (missing.length > 0) throw new MissingDependencyError(missing, feature);
}

function isModuleNotFound(err: unknown, packageName: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return notFound && typeof message === 'string' && message.includes(packageName);
}
