import { BotlensError } from '../errors/botlens-error.js';

/**
 * State that every copy of botlens loaded in one process shares. A process may load the package twice: an app
 * that `require`s it in one place and `import`s it in another gets the CJS and the ESM build (the dual-package
 * hazard), and a dependency tree may hold two versions. Facts that one copy records on an object and another
 * copy reads (the stacking ensemble's marks on training data, an embedder's model source, what was validated
 * already, a detection's features) must then live in one place, or the same fit gives a different model
 * depending on which copy made which object. Each such registry is kept on `globalThis` under
 * `Symbol.for('botlens.<name>')`, created by the first copy that asks for it, with the version of its layout:
 * a copy that expects another layout refuses to load rather than misread it.
 *
 * @internal
 * @module
 */

/** What one registry's global slot holds. */
interface SharedSlot {
  readonly version: number;
  readonly value: unknown;
}

function isSlot(v: unknown): v is SharedSlot {
  return typeof v === 'object' && v !== null && typeof (v as { version?: unknown }).version === 'number';
}

/**
 * The registry named `name` shared by every copy of botlens in this process: the one a copy made before, or
 * `create()`'s result, kept for the next copies. Call it once, at module load.
 *
 * @param name - the registry's name, unique across the package, e.g. `training-marks.prefix-cuts`
 * @param version - the version of its layout and meaning: raise it whenever either changes
 * @param create - makes the registry (called only by the first copy to ask)
 * @returns the registry every copy uses
 * @throws BotlensError `INCOMPATIBLE_COPY` when a copy already keeps this registry under another version
 * @internal
 */
export function sharedAcrossCopies<T>(name: string, version: number, create: () => T): T {
  const key = Symbol.for(`botlens.${name}`);
  const global = globalThis as Record<symbol, unknown>;
  const found = global[key];
  if (found === undefined) {
    const value = create();
    // Read-only and not enumerable: nothing else on globalThis can replace it, and it does not show in listings.
    Object.defineProperty(globalThis, key, {
      value: Object.freeze({ version, value }),
      enumerable: false,
      writable: false,
      configurable: false,
    });
    return value;
  }
  if (!isSlot(found) || found.version !== version) {
    const had = isSlot(found) ? `version ${found.version}` : 'an unknown layout';
    throw new BotlensError(
      'INCOMPATIBLE_COPY',
      `another copy of botlens in this process keeps ${String(key.description)} in ${had}, this copy needs version ${version}: load one version of botlens (check \`npm ls botlens\` for duplicates)`,
    );
  }
  return found.value as T;
}
