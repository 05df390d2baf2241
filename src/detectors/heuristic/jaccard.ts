/**
 * The Jaccard similarity of two word sets, |A ∩ B| / |A ∪ B|, from their sizes and the number of words they
 * share (not both empty): the one definition behind near repetition and the echo share.
 *
 * @param shared - how many words the two sets share
 * @param sizeA - the first set's size
 * @param sizeB - the second set's size
 */
export function jaccardOf(shared: number, sizeA: number, sizeB: number): number {
  return shared / (sizeA + sizeB - shared);
}
