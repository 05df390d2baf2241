/**
 * State that every copy of one release of botlens loaded in one process shares. A process may load the package
 * twice: an app that `require`s it in one place and `import`s it in another gets the CJS and the ESM build (the
 * dual-package hazard). Facts that one copy records on an object and the other copy reads (the stacking
 * ensemble's marks on training data, an embedder's model source, what was validated already, a detection's
 * features) must then live in one place, or the same fit gives a different model depending on which copy made
 * which object. Each such registry is kept on `globalThis` under the symbol {@link sharedRegistryKey} names,
 * `Symbol.for('botlens.<name>@<package version>')`, created by the first copy that asks for it.
 *
 * The key holds the exact package version, written into the build (tsup's `define` of `__BOTLENS_VERSION__`
 * from package.json): the ESM and CJS builds of one release share their registries, and a dependency tree
 * that holds two releases loads both side by side, each with its own registries. A release never runs
 * another's code (the shared `DetectionStamp` class) nor trusts another's validation, whatever changed between
 * them. Running from source (vitest, tsx), where nothing defines the version, the key says `source`.
 *
 * @internal
 * @module
 */

/** Replaced by the package version when tsup builds dist/ (see tsup.config.ts); undefined when run from source. */
declare const __BOTLENS_VERSION__: string | undefined;

/**
 * The version of botlens this code belongs to: package.json's, written in at build time, or `source` when run
 * from source.
 * @internal
 */
export const BOTLENS_BUILD_VERSION: string =
  typeof __BOTLENS_VERSION__ === 'string' ? __BOTLENS_VERSION__ : 'source';

/**
 * The `globalThis` key of the registry named `name` for botlens version `version`.
 *
 * @param name - the registry's name, unique across the package, e.g. `training-marks`
 * @param version - a botlens version (default: this copy's, {@link BOTLENS_BUILD_VERSION})
 * @returns `Symbol.for('botlens.<name>@<version>')`
 * @internal
 */
export function sharedRegistryKey(name: string, version: string = BOTLENS_BUILD_VERSION): symbol {
  return Symbol.for(`botlens.${name}@${version}`);
}

/**
 * The registry named `name` shared by every copy of this release of botlens in this process: the one such a
 * copy made before, or `create()`'s result, kept for the next copies. Call it once, at module load.
 *
 * @param name - the registry's name, unique across the package, e.g. `training-marks`
 * @param create - makes the registry (called only by the first copy to ask)
 * @returns the registry every copy of this release uses
 * @internal
 */
export function sharedAcrossCopies<T>(name: string, create: () => T): T {
  const key = sharedRegistryKey(name);
  const global = globalThis as Record<symbol, unknown>;
  if (Object.hasOwn(global, key)) return global[key] as T;
  const value = create();
  // Read-only and not enumerable: nothing else on globalThis can replace it, and it does not show in listings.
  Object.defineProperty(globalThis, key, { value, enumerable: false, writable: false, configurable: false });
  return value;
}
