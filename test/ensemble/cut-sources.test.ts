/**
 * `cutSources` picks, per class, the share of training examples whose prefix cuts the members also learn
 * from (`memberPrefixCutShare`): exactly ceil(share * class size) of each class, seeded.
 */
import { describe, expect, it } from 'vitest';
import type { Label } from '../../src/core/transcript.js';
import { cutSources } from '../../src/ensemble/member-examples.js';

const labels = (bots: number, humans: number): Label[] => [
  ...Array.from({ length: bots }, () => 'bot' as const),
  ...Array.from({ length: humans }, () => 'human' as const),
];

function taken(from: Uint8Array, ls: readonly Label[], cls: Label): number {
  return ls.filter((l, i) => l === cls && from[i] === 1).length;
}

describe('cutSources', () => {
  it('takes ceil(share * class size) of each class, without a chat too many from float rounding', () => {
    const ls = labels(100, 100);
    // 0.55 * 100 is 55.00000000000001 in doubles, and 0.07 * 100 is 7.000000000000001.
    for (const [share, want] of [
      [0.55, 55],
      [0.07, 7],
      [0.25, 25],
      [0.251, 26],
    ] as const) {
      const from = cutSources(ls, share, 3);
      expect([taken(from, ls, 'bot'), taken(from, ls, 'human')]).toEqual([want, want]);
    }
    const odd = labels(10, 7);
    const from = cutSources(odd, 0.25, 3);
    expect([taken(from, odd, 'bot'), taken(from, odd, 'human')]).toEqual([3, 2]);
  });

  it('is seeded: the same seed picks the same chats, another seed others; share 1 picks all', () => {
    const ls = labels(50, 50);
    expect(cutSources(ls, 0.3, 7)).toEqual(cutSources(ls, 0.3, 7));
    expect(cutSources(ls, 0.3, 7)).not.toEqual(cutSources(ls, 0.3, 8));
    expect([...cutSources(ls, 1, 7)].every((x) => x === 1)).toBe(true);
  });
});
