/**
 * `acc[rowOf[p]] += x * values[p]` for every entry `p` in `[from, end)` of an inverted index (one position's
 * postings: the vectors using it and their values there), eight entries a step. The postings of one position
 * name each vector at most once, so every sum takes the same terms in the same order as one entry a step, and
 * the results are bit-identical to it; about 1.8 to 1.9 times as fast on ConvAI (the fit's Gram matrix in
 * `FitCache`, a `HashedQuery`'s pushes).
 *
 * @param acc - the sums, by vector
 * @param rowOf - per entry, its vector
 * @param values - per entry, its value
 * @param from - the first entry
 * @param end - one past the last entry
 * @param x - the factor
 *
 * @internal
 */
export function scatterAdd(
  acc: Float64Array,
  rowOf: Uint16Array | Int32Array,
  values: Float32Array,
  from: number,
  end: number,
  x: number,
): void {
  let p = from;
  for (; p + 8 <= end; p += 8) {
    acc[rowOf[p]!]! += x * values[p]!;
    acc[rowOf[p + 1]!]! += x * values[p + 1]!;
    acc[rowOf[p + 2]!]! += x * values[p + 2]!;
    acc[rowOf[p + 3]!]! += x * values[p + 3]!;
    acc[rowOf[p + 4]!]! += x * values[p + 4]!;
    acc[rowOf[p + 5]!]! += x * values[p + 5]!;
    acc[rowOf[p + 6]!]! += x * values[p + 6]!;
    acc[rowOf[p + 7]!]! += x * values[p + 7]!;
  }
  for (; p < end; p++) acc[rowOf[p]!]! += x * values[p]!;
}
