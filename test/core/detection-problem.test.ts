import { describe, expect, it } from 'vitest';
import { withEvidenceOnRead, withFieldsOnRead } from '../../src/core/detection.js';
import { detectionProblem } from '../../src/core/detection-problem.js';
import type { Detection } from '../../src/core/detector.js';

const good: Detection = { detector: 'd', score: 0.2, label: 'human', evidence: [], elapsedMs: 0 };

describe('detectionProblem', () => {
  it('accepts a detection that keeps the contract, and an abstention', () => {
    expect(detectionProblem(good)).toBeUndefined();
    expect(detectionProblem({ ...good, score: null, label: null })).toBeUndefined();
    expect(
      detectionProblem({ ...good, support: { targetMessages: 1, targetCharacters: 5 } }),
    ).toBeUndefined();
  });

  it('says which field is wrong', () => {
    expect(detectionProblem(undefined)).toBe('it is undefined, not a Detection object');
    expect(detectionProblem({ ...good, evidence: [null] })).toMatch(
      /^its evidence\[0\] is null: evidence must be an array/,
    );
    expect(detectionProblem({ ...good, score: Number.NaN })).toMatch(
      /^its score is NaN: a score must be a number in \[0, 1\]/,
    );
  });

  it('checks evidence written on first read without writing it', () => {
    let built = 0;
    const lazy = withEvidenceOnRead(good, () => {
      built++;
      return [];
    });
    expect(detectionProblem(lazy)).toBeUndefined();
    const fields = withFieldsOnRead({ ...good, evidence: undefined }, ['evidence'], () => {
      built++;
      return { evidence: [] };
    });
    expect(detectionProblem(fields)).toBeUndefined();
    expect(built).toBe(0);
  });
});
