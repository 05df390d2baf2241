import type { Label } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { seededRandom, shuffle } from '../numeric/random.js';

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
  if (!Number.isInteger(folds) || folds < 2) {
    throw new InvalidOptionsError('folds', `expected an integer of at least 2, got ${String(folds)}`);
  }
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
