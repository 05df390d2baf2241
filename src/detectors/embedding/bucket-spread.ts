import type { SparseRow } from './fit-cache.js';

/**
 * What the probe does with embedding positions (hashed buckets) that occur in few training conversations.
 *
 * @internal
 */
export interface RareBucketRule {
  /** Conversations a position must occur in to be fitted at the full weight. */
  minConversations: number;
  /** `'drop'`: no weight at all below it; `'shrink'`: the L2 penalty scaled by `minConversations / count`. */
  action: 'drop' | 'shrink';
  /** `'any'`: conversations where any example has the position; `'eachClass'`: the fewer of bot and human ones. */
  count: 'any' | 'eachClass';
}

/**
 * The conversation count of each position over the rows a fit sees (`fold` left out, or all), by the rule's
 * `count`: a function of the fold.
 *
 * @internal
 */
export function countsByRule(
  rule: RareBucketRule,
  rows: readonly SparseRow[],
  ids: readonly number[],
  labels: Uint8Array,
  group: readonly number[],
  fold: readonly number[],
  folds: number,
  dim: number,
): (leftOut?: number) => Int32Array {
  const count = (of: readonly number[]) => conversationCounts(rows, of, group, fold, folds, dim);
  const parts =
    rule.count === 'any'
      ? [count(ids)]
      : [count(ids.filter((i) => labels[i] === 1)), count(ids.filter((i) => labels[i] === 0))];
  return (leftOut) => {
    const out = new Int32Array(dim).fill(2 ** 30);
    for (const { total, inFold } of parts) {
      const minus = leftOut === undefined ? undefined : inFold[leftOut]!;
      for (let j = 0; j < dim; j++) out[j] = Math.min(out[j]!, total[j]! - (minus ? minus[j]! : 0));
    }
    return out;
  };
}

/**
 * In how many distinct conversations each position is non-zero, over the given rows: `total`, and per fold
 * `inFold[f]`, so a fold's training count is `total - inFold[f]`.
 *
 * @param rows - the sparse rows (all examples of the fit)
 * @param ids - the rows to count (the probe's sample)
 * @param group - conversation of each row
 * @param fold - fold of each row (a conversation's rows share a fold)
 * @param folds - number of folds
 * @param dim - number of positions
 *
 * @internal
 */
export function conversationCounts(
  rows: readonly SparseRow[],
  ids: readonly number[],
  group: readonly number[],
  fold: readonly number[],
  folds: number,
  dim: number,
): { total: Int32Array; inFold: Int32Array[] } {
  const total = new Int32Array(dim);
  const inFold = Array.from({ length: folds }, () => new Int32Array(dim));
  // The conversation that last counted each position, per conversation's rows gathered together.
  const byGroup = new Map<number, number[]>();
  for (const i of ids) {
    const list = byGroup.get(group[i]!);
    if (list) list.push(i);
    else byGroup.set(group[i]!, [i]);
  }
  const last = new Int32Array(dim).fill(-1);
  for (const [g, members] of byGroup) {
    const own = inFold[fold[members[0]!]!]!;
    for (const i of members) {
      const { indices, values } = rows[i]!;
      for (let k = 0; k < indices.length; k++) {
        const j = indices[k]!;
        if (values[k] === 0 || last[j] === g) continue;
        last[j] = g;
        total[j]!++;
        own[j]!++;
      }
    }
  }
  return { total, inFold };
}

/**
 * The probe's column scale for positions seen in `count` conversations: 1 at or above the rule's minimum;
 * below it 0 (`drop`) or `sqrt(count / min)` (`shrink`: a column scaled by `a` under a uniform L2 penalty is the
 * unscaled column under the penalty divided by `a^2`, i.e. `min / count` times the usual one).
 *
 * @internal
 */
export function bucketScale(
  count: Int32Array,
  rule: Pick<RareBucketRule, 'minConversations' | 'action'>,
): Float64Array {
  const out = new Float64Array(count.length);
  const min = rule.minConversations;
  for (let j = 0; j < count.length; j++) {
    const c = count[j]!;
    out[j] = c >= min ? 1 : rule.action === 'drop' || c <= 0 ? 0 : Math.sqrt(c / min);
  }
  return out;
}
