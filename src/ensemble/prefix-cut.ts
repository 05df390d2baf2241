import type { Transcript } from '../core/transcript.js';

/**
 * The transcript as it stood right after the target's `k`-th message: the early-verdict protocol that
 * `botlens eval --prefix K` uses and the ensemble's evidence-aware combiner is fitted on. Other fields of the
 * record (a `label`, a `source`) are kept.
 *
 * @param t - the transcript (its `target` set, or a single speaker)
 * @param k - how many of the target's messages to keep (1 or more)
 * @returns the cut transcript, or `null` when the target wrote fewer than `k` messages
 *
 * @example
 * ```ts
 * const early = cutAfterTargetMessage(row, 1); // everything up to and including the target's first message
 * ```
 */
export function cutAfterTargetMessage<T extends Transcript>(t: T, k: number): T | null {
  const target = t.target ?? t.messages[0]?.speaker;
  let seen = 0;
  for (let i = 0; i < t.messages.length; i++) {
    if (t.messages[i]!.speaker !== target) continue;
    seen++;
    if (seen === k) return { ...t, messages: t.messages.slice(0, i + 1) };
  }
  return null;
}
