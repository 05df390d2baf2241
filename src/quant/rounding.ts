/**
 * Rounds to the nearest integer, ties to even (banker's rounding), as ONNX `QuantizeLinear`,
 * `DynamicQuantizeLinear` and numpy's `round` do. `Math.round` rounds ties up, which would bias every
 * quantized value that falls exactly between two steps.
 *
 * @param x - a finite number
 * @returns the nearest integer; exact halves go to the even neighbour
 *
 * @example
 * ```ts
 * roundHalfEven(2.5); // 2
 * roundHalfEven(3.5); // 4
 * roundHalfEven(-0.5); // 0
 * ```
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Clamps `x` to `[lo, hi]`.
 *
 * @param x - the value
 * @param lo - lower bound
 * @param hi - upper bound
 */
export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}
