import { HiddenMark } from './hidden-mark.js';

/**
 * Training examples that are prefix cuts of another training example (the same conversation up to the target's
 * k-th message, added by the stacking ensemble's `memberPrefixCuts`). A member may learn from them differently
 * from whole conversations: the embedding detector lets them shape its centroids, probe and calibration but keeps
 * them out of the labelled set its kNN vote searches (so detection cost and saved state do not grow with them).
 *
 * The mark is a {@link HiddenMark}, like the features a detection carries: a marked transcript reads, serializes
 * and validates as before, and a copy is unmarked.
 *
 * @internal
 */
const cuts = new HiddenMark();

/**
 * Marks an example as a prefix cut of another training example.
 *
 * @param example - the cut (a fresh object, not the example it was cut from)
 * @returns the same object
 * @internal
 */
export function markPrefixCut<T extends object>(example: T): T {
  return cuts.mark(example);
}

/**
 * Whether an example was marked by {@link markPrefixCut}.
 *
 * @param example - a training example
 * @internal
 */
export function isPrefixCut(example: object): boolean {
  return cuts.has(example);
}
