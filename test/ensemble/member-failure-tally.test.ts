/**
 * The one tally of failed ensemble members behind `evaluateDetector`'s and `writeScores`'s `failedMembers`: per
 * member, how many positions it failed on, the first position and the error there, in first-failure order.
 */
import { describe, expect, it } from 'vitest';
import { MemberFailureTally } from '../../src/ensemble/member-failure-tally.js';

describe('MemberFailureTally', () => {
  it('counts per member, keeps the first position and error, and lists members in the order they first failed', () => {
    const tally = new MemberFailureTally();
    expect(tally.entries()).toEqual([]);
    tally.add('nli', 'model missing', 3);
    tally.add('lora', 'no head', 4);
    tally.add('nli', 'a later error', 7);
    tally.add('nli', 'model missing', 9);
    expect(tally.entries()).toEqual([
      { detector: 'nli', count: 3, first: 3, firstError: 'model missing' },
      { detector: 'lora', count: 1, first: 4, firstError: 'no head' },
    ]);
  });
});
