import { describe, expect, it } from 'vitest';
import {
  evidenceFacts,
  nowMs,
  scored,
  scoredWithEvidenceOnRead,
  withEvidenceOnRead,
} from '../../src/core/detection.js';
import { detectionFeatures, withDetectionFeatures } from '../../src/core/detection-features.js';
import type { Evidence } from '../../src/core/detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { STYLE_FEATURE_NAMES } from '../../src/detectors/heuristic/style-feature-types.js';

const NAMES = ['a', 'b'];
const evidence = (): Evidence[] => [{ name: 'x', value: 1, sentence: 'one' }];

describe('a detection’s hidden state (lazy evidence and features in one stamp)', () => {
  it('gives scoredWithEvidenceOnRead the shape, label and evidence of scored + withEvidenceOnRead', () => {
    let built = 0;
    const values = [0.5, -1];
    const d = scoredWithEvidenceOnRead(
      'det',
      1.5,
      0.5,
      nowMs(),
      { targetMessages: 2, targetCharacters: 9 },
      () => {
        built++;
        return evidence();
      },
      NAMES,
      values,
    );
    const plain = withEvidenceOnRead(
      { ...scored('det', 1.5, 0.5, [], nowMs()), support: { targetMessages: 2, targetCharacters: 9 } },
      evidence,
    );
    expect(Object.keys(d)).toEqual(Object.keys(plain));
    expect(d.score).toBe(1);
    expect(d.label).toBe('bot');
    expect(built).toBe(0);
    expect(detectionFeatures(d)).toEqual({ names: NAMES, values });
    expect(detectionFeatures(d)!.names).toBe(NAMES);
    expect(evidenceFacts(d)).toEqual({ nearestSimilarity: null });
    expect(JSON.parse(JSON.stringify(d))).toEqual({
      ...JSON.parse(JSON.stringify(plain)),
      elapsedMs: d.elapsedMs,
    });
    expect(built).toBe(1);
    // Replacing the evidence keeps the features and drops the stated facts.
    d.evidence = [];
    expect(d.evidence).toEqual([]);
    expect(evidenceFacts(d)).toBeUndefined();
    expect(detectionFeatures(d)).toEqual({ names: NAMES, values });
    // A spread copy carries neither.
    expect(detectionFeatures({ ...d })).toBeUndefined();
    expect(evidenceFacts({ ...d })).toBeUndefined();
  });

  it('adds features to a detection with lazy evidence, or to a plain one, once', () => {
    const lazy = withEvidenceOnRead(scored('det', 0.2, 0.5, [], nowMs()), evidence, {
      nearestSimilarity: 0.7,
    });
    expect(detectionFeatures(lazy)).toBeUndefined();
    withDetectionFeatures(lazy, NAMES, [1, 2]);
    expect(detectionFeatures(lazy)).toEqual({ names: NAMES, values: [1, 2] });
    expect(evidenceFacts(lazy)).toEqual({ nearestSimilarity: 0.7 });
    expect(lazy.evidence).toEqual(evidence());
    expect(() => withDetectionFeatures(lazy, NAMES, [3, 4])).toThrow(TypeError);

    const plain = withDetectionFeatures(scored('det', 0.2, 0.5, evidence(), nowMs()), NAMES, [5, 6]);
    expect(detectionFeatures(plain)).toEqual({ names: NAMES, values: [5, 6] });
    expect(evidenceFacts(plain)).toBeUndefined();
    expect(plain.evidence).toEqual(evidence());
    expect(() => withDetectionFeatures(plain, NAMES, [7, 8])).toThrow(TypeError);
  });

  it('stamps each heuristic detection with its per-signal terms, which sum with the baseline to its log-odds', async () => {
    const d = await new HeuristicDetector().detect({
      target: 'b',
      messages: [
        { speaker: 'a', text: 'hey, how was your weekend?', timestamp: '2024-05-01T10:00:00Z' },
        {
          speaker: 'b',
          text: 'hello ! i am fine . what do you do for fun ? ',
          timestamp: '2024-05-01T10:00:00.400Z',
        },
      ],
    });
    const f = detectionFeatures(d)!;
    expect(f.names).toBe(STYLE_FEATURE_NAMES);
    const byName = new Map(d.evidence.map((e) => [e.name, e.contribution]));
    f.names.forEach((name, k) => {
      expect(f.values[k]).toBe(byName.get(name));
    });
    const z = Array.from(f.values).reduce((s, v) => s + v, byName.get('baseline')!);
    expect(1 / (1 + Math.exp(-z))).toBeCloseTo(d.score!, 12);
  });
});
