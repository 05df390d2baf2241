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
    const missing = missingPackageOf(cause, packageName);
    if (missing !== undefined) throw new MissingDependencyError(missing, feature, { cause });
    throw cause;
  }
}

/** An optional package's name and its literal dynamic import (`() => import('pkg')`, so bundlers still see it). */
export type OptionalLoad = readonly [packageName: string, load: () => Promise<unknown>];

/** A feature and the optional packages it needs, for {@link importAllOptional}. */
export interface OptionalNeed {
  /** What needs them, in words, e.g. `"The HTTP service"`. */
  feature: string;
  /** Each package's name and its dynamic import. */
  loads: readonly OptionalLoad[];
}

/**
 * Imports every optional package the features a command uses need and, when some are not installed, throws one
 * {@link MissingDependencyError} naming them all, with the features that need them (one `npm install` line), instead
 * of one per attempt. A package a needed package imports and cannot find is named itself (`onnxruntime-node` under
 * `@huggingface/transformers`). Other load failures are rethrown unchanged.
 *
 * @param needs - the features and their packages (a package several need is named once)
 * @throws MissingDependencyError listing every missing package
 * @internal
 */
export async function importAllOptional(needs: readonly OptionalNeed[]): Promise<void> {
  const tries = needs.flatMap((need) => need.loads.map(([name, load]) => ({ need, name, load })));
  const results = await Promise.allSettled(tries.map((t) => importOptional(t.name, t.need.feature, t.load)));
  const missing: string[] = [];
  const features: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') return;
    if (!MissingDependencyError.isInstance(r.reason)) throw r.reason;
    for (const name of r.reason.packageNames) if (!missing.includes(name)) missing.push(name);
    const { feature } = tries[i]!.need;
    if (!features.includes(feature)) features.push(feature);
  });
  if (missing.length > 0) throw new MissingDependencyError(missing, joinFeatures(features));
}

/** Features in one phrase: `a`, `a and b`, `a, b and c` (each but the first starting lower-case). */
function joinFeatures(features: readonly string[]): string {
  const words = features.map((f, i) =>
    i > 0 && /^[A-Z][a-z]/.test(f) ? f[0]!.toLowerCase() + f.slice(1) : f,
  );
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/**
 * The npm package whose absence `err` reports, when it is "module not found" for `packageName` or for a package
 * it imports (named in quotes in Node's message: `Cannot find package 'onnxruntime-node' imported from ...`).
 */
function missingPackageOf(err: unknown, packageName: string): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if ((code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') || typeof message !== 'string')
    return undefined;
  const named = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  if (named === undefined || named.startsWith('.') || named.startsWith('/'))
    return message.includes(packageName) ? packageName : undefined;
  // A bare specifier: its package is the first part, or the first two for a scoped one.
  const parts = named.split('/');
  return named.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
