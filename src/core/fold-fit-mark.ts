import { HiddenMark } from './hidden-mark.js';

/**
 * Training sets of an ensemble's out-of-fold fits (each fold's 4/5 of the examples, fitted only to score the
 * held-out fold). A member refitted in place on such a set may reuse what its previous fit learned to converge
 * faster (the embedding detector starts its probe's solver from the previous probe), since the fit's result is
 * only used within the solver's tolerance; a fit on an unmarked set (any user's `fit()`, and the ensemble's final
 * fit) learns from scratch, so its model is the one a fresh detector fits.
 *
 * The mark is a {@link HiddenMark}: it adds no field and a copy is unmarked.
 *
 * @internal
 */
const foldFits = new HiddenMark();

/**
 * Marks an array of training examples as an out-of-fold fit's training set.
 *
 * @param examples - the fold's training examples (a fresh array)
 * @returns the same array
 * @internal
 */
export function markFoldFit<T extends object>(examples: T): T {
  return foldFits.mark(examples);
}

/**
 * Whether an array of training examples was marked by {@link markFoldFit}.
 *
 * @param examples - training examples passed to `fit()`
 * @internal
 */
export function isFoldFit(examples: object): boolean {
  return foldFits.has(examples);
}
