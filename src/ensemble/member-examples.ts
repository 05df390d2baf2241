import { markPrefixCut } from '../core/training-marks.js';
import type { LabelledTranscript } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { cutAfterTargetMessage } from './prefix-cut.js';

/**
 * The examples members are fitted on: every example, then each of them cut right after the target's `k`-th
 * message for each `k` in `cuts` (only where the cut is shorter than the example, so no transcript is added
 * twice). A member fitted only on whole conversations has seen no short text like the one it must judge after
 * the target's first message; fitted on the cuts as well, it learns what a bot's opening message looks like.
 * Each cut is marked (`markPrefixCut`), so a member can tell it from a whole conversation (the embedding
 * detector keeps cuts out of its kNN vote's labelled set).
 *
 * @param examples - labelled transcripts (validated)
 * @param cuts - target-message counts (positive integers; empty: the examples alone)
 * @returns the examples followed by their cuts (the same array when `cuts` is empty)
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
): LabelledTranscript[] {
  const out = [...examples];
  for (const k of cuts) {
    for (const e of examples) {
      const c = cutAfterTargetMessage(e, k);
      if (c !== null && c.messages.length < e.messages.length) out.push(markPrefixCut(c));
    }
  }
  return out;
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
      `got ${JSON.stringify(cuts)}; use an array of positive integers (target-message counts), e.g. [1, 2, 3, 5, 8], or [] to fit members on whole transcripts only`,
    );
  }
  const sorted = [...(cuts as number[])].sort((a, b) => a - b);
  if (sorted.some((k, i) => i > 0 && k === sorted[i - 1])) {
    throw new InvalidOptionsError('memberPrefixCuts', `got ${JSON.stringify(cuts)}; list each count once`);
  }
  return sorted;
}
