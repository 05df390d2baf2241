import { sharedAcrossCopies } from './shared-across-copies.js';
import type { ValidCopies } from './validate-examples.js';

/**
 * Hidden marks on training data that a member's `fit()` may read, set by the stacking ensemble. Each is a fact
 * kept in a WeakSet, like the features a detection carries: marking adds no field, so a marked object reads,
 * serializes and validates as before, and a copy is unmarked. The sets are shared by every copy of botlens in
 * the process (see `sharedAcrossCopies`): an ensemble from the CJS build marks what a member from the ESM build
 * reads, so a fit does not depend on which copy made which object.
 *
 * @internal
 * @module
 */

/** The marks, shared by every copy of botlens in the process. */
const marks = sharedAcrossCopies('training-marks', () => ({
  prefixCuts: new WeakSet<object>(),
  foldFits: new WeakSet<object>(),
  validCopies: new WeakMap<object, ValidCopies>(),
}));

/**
 * Training examples that are prefix cuts of another training example (the same conversation up to the target's
 * k-th message, added by the stacking ensemble's `memberPrefixCuts`). A member may learn from them differently
 * from whole conversations: the embedding detector lets them shape its centroids, probe and calibration but keeps
 * them out of the labelled set its kNN vote searches (so detection cost and saved state do not grow with them).
 */
const prefixCuts: WeakSet<object> = marks.prefixCuts;

/**
 * Training sets of an ensemble's out-of-fold fits (each fold's 4/5 of the examples, fitted only to score the
 * held-out fold). A member refitted in place on such a set may reuse what its previous fit learned to converge
 * faster (the embedding detector starts its probe's solver from the previous probe), since the fit's result is
 * only used within the solver's tolerance; a fit on an unmarked set (any user's `fit()`, and the ensemble's final
 * fit) learns from scratch, so its model is the one a fresh detector fits.
 */
const foldFits: WeakSet<object> = marks.foldFits;

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

/** Training sets whose examples have valid copies made before (see {@link markValidCopies}). */
const validCopies: WeakMap<object, ValidCopies> = marks.validCopies;

/**
 * Marks an array of training examples as validated together with other training sets of the same ensemble fit:
 * a member's `fit()` (through `beginFit`) takes each example's valid copy from `copies` instead of validating it
 * again, and gets the same frozen copy in every fit of that ensemble fit, so what it derives from a copy (the
 * heuristic's signals, the embedding detector's text) it can keep with it.
 *
 * @param examples - the training set (a fresh array of the ensemble's examples and their prefix cuts)
 * @param copies - the ensemble fit's valid copies
 * @returns the same array
 * @internal
 */
export function markValidCopies<T extends object>(examples: T, copies: ValidCopies): T {
  validCopies.set(examples, copies);
  return examples;
}

/**
 * The valid copies an array of training examples was marked with by {@link markValidCopies}, if any.
 *
 * @param examples - training examples passed to `fit()`
 * @internal
 */
export function validCopiesOf(examples: object): ValidCopies | undefined {
  return validCopies.get(examples);
}
