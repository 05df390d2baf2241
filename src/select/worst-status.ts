import type { CheckStatus } from './types.js';

const RANK: Readonly<Record<CheckStatus, number>> = { pass: 0, warn: 1, fail: 2 };

/**
 * The worst of some statuses (`fail` > `warn` > `pass`); `pass` when there are none. This is how
 * {@link checkModel} turns its checks into a verdict.
 *
 * @param statuses - the statuses to combine
 * @example
 * ```ts
 * worstStatus(['pass', 'warn', 'pass']); // 'warn'
 * worstStatus([]); // 'pass'
 * ```
 */
export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'pass';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}
