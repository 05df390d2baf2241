/**
 * Hidden marks on training data that a member's `fit()` may read, set by the stacking ensemble. Each is a fact
 * kept in a WeakSet, like the features a detection carries: marking adds no field, so a marked object reads,
 * serializes and validates as before, and a copy is unmarked.
 *
 * @internal
 * @module
 */

/**
 * Training examples that are prefix cuts of another training example (the same conversation up to the target's
 * k-th message, added by the stacking ensemble's `memberPrefixCuts`). A member may learn from them differently
 * from whole conversations: the embedding detector lets them shape its centroids, probe and calibration but keeps
 * them out of the labelled set its kNN vote searches (so detection cost and saved state do not grow with them).
 */
const prefixCuts = new WeakSet<object>();

/**
 * Training sets of an ensemble's out-of-fold fits (each fold's 4/5 of the examples, fitted only to score the
 * held-out fold). A member refitted in place on such a set may reuse what its previous fit learned to converge
 * faster (the embedding detector starts its probe's solver from the previous probe), since the fit's result is
 * only used within the solver's tolerance; a fit on an unmarked set (any user's `fit()`, and the ensemble's final
 * fit) learns from scratch, so its model is the one a fresh detector fits.
 */
const foldFits = new WeakSet<object>();

/**
 * Marks an example as a prefix cut of another training example.
 *
 * @param example - the cut (a fresh object, not the example it was cut from)
 * @returns the same object
 * @internal
 */
export function markPrefixCut<T extends object>(example: T): T {
  prefixCuts.add(example);
  return example;
}

/**
 * Whether an example was marked by {@link markPrefixCut}.
 *
 * @param example - a training example
 * @internal
 */
export function isPrefixCut(example: object): boolean {
  return prefixCuts.has(example);
}

/**
 * Marks an array of training examples as an out-of-fold fit's training set.
 *
 * @param examples - the fold's training examples (a fresh array)
 * @returns the same array
 * @internal
 */
export function markFoldFit<T extends object>(examples: T): T {
  foldFits.add(examples);
  return examples;
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
