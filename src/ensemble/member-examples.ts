import { describeValue } from '../core/describe-value.js';
import { formatRange, inRange, NONZERO_SHARE } from '../core/number-range.js';
import { markPrefixCut, markValidCopies } from '../core/training-marks.js';
import type { Label, LabelledTranscript, ValidTranscript } from '../core/transcript.js';
import { ValidCopies } from '../core/validate-examples.js';
import { truncatedFrom } from '../data/transcript-limits.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { seededRandom, shuffle } from '../numeric/random.js';
import { cutAfterTargetMessage } from './prefix-cut.js';

/**
 * The examples members are fitted on: every example, then each of them cut right after the target's `k`-th
 * message for each `k` in `cuts` (only where the cut is shorter than the example, so no transcript is added
 * twice, and never of an example a reader truncated, see `truncatedFrom`: its first messages are not the chat's
 * opening). A member fitted only on whole conversations has seen no short text like the one it must judge after
 * the target's first message; fitted on the cuts as well, it learns what a bot's opening message looks like.
 * Each cut is marked (`markPrefixCut`), so a member can tell it from a whole conversation (the embedding
 * detector keeps cuts out of its kNN vote's labelled set).
 *
 * @param examples - labelled transcripts (validated)
 * @param cuts - target-message counts (positive integers; empty: the examples alone)
 * @param from - per example, whether its cuts are added (see {@link cutSources}); all when absent
 * @returns the examples followed by their cuts (a new array)
 *
 * @example
 * ```ts
 * withPrefixCuts(rows, [1, 3]); // rows, then each row up to its target's 1st message, then up to its 3rd
 * ```
 * @internal
 */
export function withPrefixCuts(
  examples: readonly LabelledTranscript[],
  cuts: readonly number[],
  from?: ArrayLike<number>,
): LabelledTranscript[] {
  return new MemberExamples(examples, cuts, from).select();
}

/**
 * The examples an ensemble fit's members learn from ({@link withPrefixCuts}), cut once and shared by all its
 * member fits: each out-of-fold fold's training set and the final fit's are selections of the same example
 * and cut objects, marked with one set of valid copies (`markValidCopies`). So each example and cut is
 * validated once per ensemble fit, and a member refitted in place meets the same frozen copy in every fit (the
 * heuristic measures each one's signals once, the embedding detector joins its text once).
 *
 * @internal
 */
export class MemberExamples {
  /** Per cut (in `cuts` order), per example: its cut, or undefined when it has none or is not a source. */
  private readonly cutOf: (LabelledTranscript | undefined)[][];

  /**
   * @param examples - labelled transcripts
   * @param cuts - target-message counts (see {@link withPrefixCuts})
   * @param from - per example, whether its cuts are added (see {@link cutSources}); all when absent
   * @param copies - the valid copies to share (e.g. holding the examples' copies already); a new set when absent
   */
  constructor(
    private readonly examples: readonly LabelledTranscript[],
    cuts: readonly number[],
    from?: ArrayLike<number>,
    private readonly copies = new ValidCopies(),
  ) {
    this.cutOf = cuts.map((k) =>
      examples.map((e, i) => {
        if (from !== undefined && from[i] === 0) return undefined;
        // A truncated example's first messages are not the chat's opening: a cut of it would teach the middle of
        // a long chat as one.
        if (truncatedFrom(e) !== undefined) return undefined;
        const c = cutAfterTargetMessage(e, k);
        return c !== null && c.messages.length < e.messages.length ? markPrefixCut(c) : undefined;
      }),
    );
  }

  /**
   * The examples for which `keep` holds (all when absent), in order, then their cuts, cut by cut: what
   * {@link withPrefixCuts} gives for those examples (and their `from` entries), marked with the shared valid
   * copies.
   *
   * @param keep - which examples (by index) the training set holds
   * @returns a fresh array
   */
  select(keep?: (i: number) => boolean): LabelledTranscript[] {
    const out = keep ? this.examples.filter((_, i) => keep(i)) : [...this.examples];
    for (const row of this.cutOf) {
      row.forEach((c, i) => {
        if (c !== undefined && (!keep || keep(i))) out.push(c);
      });
    }
    return markValidCopies(out, this.copies);
  }
}

/**
 * The valid copies of labelled examples as one set (see {@link ValidCopies}), for {@link MemberExamples}.
 *
 * @param examples - the examples as given
 * @param valids - their valid copies (`validateLabelled(examples, ...)`), in the same order
 * @internal
 */
export function copiesOf(
  examples: readonly LabelledTranscript[],
  valids: readonly ValidTranscript[],
): ValidCopies {
  const copies = new ValidCopies();
  examples.forEach((e, i) => {
    copies.set(e, valids[i]!);
  });
  return copies;
}

/**
 * Which examples members also learn from cut short (option `memberPrefixCutShare`): in each class, a seeded
 * shuffle of its examples and the first `ceil(share * count)` of them, so bots and humans keep their
 * proportions. The same examples for every out-of-fold fit and the final one: their cuts add the same texts to
 * each fit (the embedding detector's fit cache holds them all once).
 *
 * @param labels - the label of each example
 * @param share - in (0, 1]; 1 takes every example
 * @param seed - the ensemble's seed
 * @returns per example, 1 when its cuts are used, else 0
 *
 * @example
 * ```ts
 * cutSources(['bot', 'bot', 'human', 'human'], 0.5, 42); // e.g. [0, 1, 1, 0]: one of each class
 * ```
 * @internal
 */
export function cutSources(labels: readonly Label[], share: number, seed: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  if (share >= 1) return out.fill(1);
  // Its own stream of the seed, so the choice does not line up with the fold split (stratifiedFolds).
  const rand = seededRandom(seed ^ 0x5eed_c075);
  for (const cls of ['human', 'bot'] as const) {
    const idx: number[] = [];
    labels.forEach((l, i) => {
      if (l === cls) idx.push(i);
    });
    // Less a hair before rounding up: 0.55 * 100 is 55.00000000000001 in doubles, which would take 56.
    const take = Math.ceil(share * idx.length - 1e-9);
    for (const i of shuffle(idx, rand).slice(0, take)) out[i] = 1;
  }
  return out;
}

/**
 * Checks the `memberPrefixCutShare` ensemble option: a number in (0, 1].
 *
 * @throws InvalidOptionsError naming `memberPrefixCutShare`
 * @internal
 */
export function checkCutShare(share: unknown): number {
  if (!inRange(share, NONZERO_SHARE)) {
    throw new InvalidOptionsError(
      'memberPrefixCutShare',
      `got ${describeValue(share)}; use the share of training examples whose cuts members learn from, in ${formatRange(NONZERO_SHARE)}, e.g. 0.5`,
    );
  }
  return share;
}

/**
 * Checks the `memberPrefixCuts` ensemble option: distinct positive integers.
 *
 * @param cuts - the option as given
 * @returns a sorted copy
 * @throws InvalidOptionsError naming `memberPrefixCuts`
 * @internal
 */
export function checkPrefixCuts(cuts: unknown): number[] {
  if (!Array.isArray(cuts) || cuts.some((k) => !Number.isInteger(k) || (k as number) < 1)) {
    throw new InvalidOptionsError(
      'memberPrefixCuts',
      `got ${describeValue(cuts)}; use an array of positive integers (target-message counts), e.g. [1, 2, 3, 5, 8], or [] to fit members on whole transcripts only`,
    );
  }
  const sorted = [...(cuts as number[])].sort((a, b) => a - b);
  if (sorted.some((k, i) => i > 0 && k === sorted[i - 1])) {
    throw new InvalidOptionsError('memberPrefixCuts', `got ${describeValue(cuts)}; list each count once`);
  }
  return sorted;
}
