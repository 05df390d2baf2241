/**
 * Edit distance between names, for "did you mean" hints in error messages.
 *
 * @module
 * @internal
 */

/**
 * Optimal string alignment distance between `a` and `b` (insertions, deletions, substitutions and swaps of
 * neighbours).
 *
 * @param a - one string
 * @param b - the other
 * @example
 * ```ts
 * editDistance('stratgy', 'strategy'); // 1
 * ```
 * @internal
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The `count` names of `candidates` nearest to `name` by {@link editDistance} (ties in the candidates' order).
 *
 * @param name - the name given
 * @param candidates - the real names (duplicates are listed once)
 * @param count - how many to return at most
 * @example
 * ```ts
 * nearestNames('layer.0.atention', ['layer.0.attention', 'layer.1.output'], 1); // ['layer.0.attention']
 * ```
 * @internal
 */
export function nearestNames(name: string, candidates: readonly string[], count: number): string[] {
  return [...new Set(candidates)]
    .map((c, i) => ({ c, i, d: editDistance(name, c) }))
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, count)
    .map((x) => x.c);
}
