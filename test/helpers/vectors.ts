import { expect } from 'vitest';

/** Largest absolute difference between two vectors of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Largest absolute difference between rows of vectors and their goldens; each row must match its golden's length. */
export function maxRowDiff(got: readonly ArrayLike<number>[], want: readonly number[][]): number {
  let m = 0;
  got.forEach((row, i) => {
    expect(row.length).toBe(want[i]!.length);
    m = Math.max(m, maxAbsDiff(row, want[i]!));
  });
  return m;
}
