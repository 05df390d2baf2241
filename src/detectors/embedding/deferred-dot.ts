/*
 * A settled vector's deferred part in `HashedQuery` (its row of hot entries against the pending changes `g`),
 * summed in four running sums: one sum waits on the previous addition at every step, and so `settle` took about
 * a quarter of a stream's reads (`features()`) on ConvAI (2026-12-06). The order of the additions is fixed,
 * so the result is deterministic; like any order, it equals what applying the columns gives up to rounding
 * (about 1e-16 relative).
 */

/**
 * `g · rows[o .. o + hot)`: over every hot column (`g` is 0 on those without pending changes), a contiguous
 * pass, for when most columns have some.
 *
 * @internal
 */
export function rowDot(g: Float64Array, rows: Float32Array, o: number, hot: number): number {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let h = 0;
  for (; h + 4 <= hot; h += 4) {
    d0 += g[h]! * rows[o + h]!;
    d1 += g[h + 1]! * rows[o + h + 1]!;
    d2 += g[h + 2]! * rows[o + h + 2]!;
    d3 += g[h + 3]! * rows[o + h + 3]!;
  }
  for (; h < hot; h++) d0 += g[h]! * rows[o + h]!;
  return d0 + d1 + (d2 + d3);
}

/**
 * `g · rows[o + c]` over the first `active` columns `c` of `cols` only (the hot columns with pending changes).
 *
 * @internal
 */
export function gatheredDot(
  g: Float64Array,
  rows: Float32Array,
  o: number,
  cols: Int32Array,
  active: number,
): number {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let i = 0;
  for (; i + 4 <= active; i += 4) {
    const c0 = cols[i]!;
    const c1 = cols[i + 1]!;
    const c2 = cols[i + 2]!;
    const c3 = cols[i + 3]!;
    d0 += g[c0]! * rows[o + c0]!;
    d1 += g[c1]! * rows[o + c1]!;
    d2 += g[c2]! * rows[o + c2]!;
    d3 += g[c3]! * rows[o + c3]!;
  }
  for (; i < active; i++) d0 += g[cols[i]!]! * rows[o + cols[i]!]!;
  return d0 + d1 + (d2 + d3);
}
