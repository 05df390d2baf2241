import { describeValue } from '../core/describe-value.js';
import type { Label } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { seededRandom, shuffle } from '../numeric/random.js';

/** Refuses a fold count that is not an integer of at least 2 (both splits below take one). */
function checkFoldCount(folds: number): void {
  if (!Number.isInteger(folds) || folds < 2) {
    throw new InvalidOptionsError('folds', `expected an integer of at least 2, got ${describeValue(folds)}`);
  }
}

/**
 * Splits examples into `folds` stratified folds: each class is shuffled (seeded) and dealt round-robin, so
 * every fold gets nearly the same number of humans and of bots, and fold sizes differ by at most one.
 *
 * @param labels - the label of each example
 * @param folds - number of folds, an integer from 2 to `labels.length`
 * @param seed - seed of the shuffle
 * @returns the fold index (0 to folds - 1) of each example, in input order
 * @throws InvalidOptionsError when `folds` is not an integer in [2, labels.length]
 *
 * @example
 * ```ts
 * stratifiedFolds(['bot', 'bot', 'human', 'human'], 2, 42); // e.g. [1, 0, 0, 1]: one of each per fold
 * ```
 */
export function stratifiedFolds(labels: readonly Label[], folds: number, seed: number): number[] {
  checkFoldCount(folds);
  if (labels.length < folds) {
    throw new InvalidOptionsError(
      'folds',
      `${folds} folds need at least ${folds} examples, got ${labels.length}: give more examples or fewer folds`,
    );
  }
  const rand = seededRandom(seed);
  const out = new Array<number>(labels.length).fill(0);
  let next = 0;
  for (const cls of ['human', 'bot'] as const) {
    const idx: number[] = [];
    labels.forEach((l, i) => {
      if (l === cls) idx.push(i);
    });
    for (const i of shuffle(idx, rand)) {
      out[i] = next;
      next = (next + 1) % folds;
    }
  }
  return out;
}

/**
 * Splits examples into folds that keep each group whole (all examples of a group in one fold), so that
 * out-of-fold scores say how members do on a group they were not fitted on: with groups that are data sources
 * or bot populations, a combiner learned on them learns which members transfer to a new one. With at most
 * `folds` distinct groups each group is its own fold (leave one group out); with more, the groups are dealt
 * largest first, each to the fold with the fewest examples so far (ties: the lower fold), in order of size and
 * then name, so the split is deterministic.
 *
 * @param groups - the group of each example
 * @param labels - the label of each example (every fold's training split, the examples outside it, must hold
 *   both labels, or its members could not be fitted)
 * @param folds - the most folds, an integer of at least 2
 * @returns the fold index of each example, in input order, and the number of folds made
 * @throws InvalidOptionsError naming `groups` when they are not one non-empty string per example, when fewer
 *   than two distinct groups are given, or when leaving a fold out leaves only one label to fit on
 *
 * @example
 * ```ts
 * groupFolds(['a', 'a', 'b', 'b'], ['bot', 'human', 'bot', 'human'], 5); // { foldOf: [0, 0, 1, 1], folds: 2 }
 * ```
 */
export function groupFolds(
  groups: readonly string[],
  labels: readonly Label[],
  folds: number,
): { foldOf: number[]; folds: number } {
  checkFoldCount(folds);
  if (!Array.isArray(groups) || groups.length !== labels.length) {
    throw new InvalidOptionsError(
      'groups',
      `give one group per example: got ${Array.isArray(groups) ? groups.length : describeValue(groups)} for ${labels.length} examples`,
    );
  }
  const sizes = new Map<string, number>();
  // An indexed loop, not forEach: forEach skips the holes of a sparse array, so a hole would pass here and fail later.
  for (let i = 0; i < groups.length; i++) {
    const g: unknown = groups[i];
    if (typeof g !== 'string' || g === '') {
      throw new InvalidOptionsError('groups', `groups[${i}] is ${describeValue(g)}; use a non-empty string`);
    }
    sizes.set(g, (sizes.get(g) ?? 0) + 1);
  }
  if (sizes.size < 2) {
    throw new InvalidOptionsError(
      'groups',
      `every example is in group ${JSON.stringify(groups[0] ?? '')}: by-group folds need at least two groups (fit without groups for stratified folds)`,
    );
  }
  const order = [...sizes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const made = Math.min(folds, sizes.size);
  const fill = new Array<number>(made).fill(0);
  const foldOfGroup = new Map<string, number>();
  for (const [g, n] of order) {
    let f = 0;
    for (let k = 1; k < made; k++) if (fill[k]! < fill[f]!) f = k;
    foldOfGroup.set(g, f);
    fill[f] = fill[f]! + n;
  }
  const foldOf = Array.from(groups, (g) => foldOfGroup.get(g)!);
  for (let f = 0; f < made; f++) {
    const rest = new Set(labels.filter((_, i) => foldOf[i] !== f));
    if (rest.size < 2) {
      const held = order.filter(([g]) => foldOfGroup.get(g) === f).map(([g]) => JSON.stringify(g));
      throw new InvalidOptionsError(
        'groups',
        `leaving out group ${held.join(', ')} leaves only ${[...rest].join('')} examples to fit on: every group's complement needs both labels (merge groups, or fit without groups)`,
      );
    }
  }
  return { foldOf, folds: made };
}
