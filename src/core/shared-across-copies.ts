/**
 * State that every copy of botlens loaded in one process shares. A process may load the package twice: an app
 * that `require`s it in one place and `import`s it in another gets the CJS and the ESM build (the dual-package
 * hazard), and a dependency tree may hold two versions. Facts that one copy records on an object and another
 * copy reads (the stacking ensemble's marks on training data, an embedder's model source, what was validated
 * already, a detection's features) must then live in one place, or the same fit gives a different model
 * depending on which copy made which object. Each such registry is kept on `globalThis` under
 * `Symbol.for('botlens.<name>@<version>')`, created by the first copy that asks for it, where the version is that
 * of its layout and meaning: copies that agree on it share the registry; a copy that expects another layout keeps
 * its own (as every copy did before), so that two versions of botlens that never hand each other objects still
 * load side by side.
 *
 * @internal
 * @module
 */

/**
 * The registry named `name` shared by every copy of botlens in this process that uses the same `version` of it:
 * the one such a copy made before, or `create()`'s result, kept for the next copies. Call it once, at module load.
 *
 * @param name - the registry's name, unique across the package, e.g. `training-marks`
 * @param version - the version of its layout and meaning: raise it whenever either changes (what it holds, what
 *   a fact in it means, or the rules that decide what goes in: a validation rule for the validated transcripts)
 * @param create - makes the registry (called only by the first copy to ask)
 * @returns the registry every copy with this version uses
 * @internal
 */
export function sharedAcrossCopies<T>(name: string, version: number, create: () => T): T {
  const key = Symbol.for(`botlens.${name}@${version}`);
  const global = globalThis as Record<symbol, unknown>;
  if (Object.hasOwn(global, key)) return global[key] as T;
  const value = create();
  // Read-only and not enumerable: nothing else on globalThis can replace it, and it does not show in listings.
  Object.defineProperty(globalThis, key, { value, enumerable: false, writable: false, configurable: false });
  return value;
}
