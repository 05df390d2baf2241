import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * Refuses two members of one ensemble with the same name (results, weights and saved states are keyed by name): the
 * one rule, in one wording, of the `Ensemble` constructor (on its members), and so of `createEnsemble`, and of
 * `unfittedPartsOnLoad` (on the names a spec's members will have, before anything is loaded or a fit command
 * printed).
 *
 * @param names - the members' names, in order
 * @throws InvalidOptionsError naming `detectors` and the first name given twice
 * @internal
 */
export function refuseDuplicateNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name))
      throw new InvalidOptionsError(
        'detectors',
        `two detectors are named "${name}": give one a different "name"`,
      );
    seen.add(name);
  }
}
