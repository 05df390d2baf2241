/**
 * One probability of a softmax: `exp(x[k]) / Σ exp(x[c])` over `count` values starting at `offset`
 * (computed with the maximum subtracted, so large logits do not overflow).
 *
 * @param values - logits, e.g. a flattened `[batch, classes]` output
 * @param k - the class, counted from `offset`
 * @param offset - where the row starts (default 0)
 * @param count - how many classes the row has (default: the rest of `values`)
 *
 * @example
 * ```ts
 * softmaxAt([0, Math.log(3)], 1); // 0.75
 * ```
 *
 * @internal
 */
export function softmaxAt(
  values: ArrayLike<number>,
  k: number,
  offset = 0,
  count = values.length - offset,
): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < count; c++) max = Math.max(max, values[offset + c]!);
  let z = 0;
  for (let c = 0; c < count; c++) z += Math.exp(values[offset + c]! - max);
  return Math.exp(values[offset + k]! - max) / z;
}
