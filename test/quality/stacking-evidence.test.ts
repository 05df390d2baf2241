import { describe, expect, it } from 'vitest';
import type { DetectionSupport } from '../../src/core/detector.js';
import type { Label } from '../../src/core/transcript.js';
import { combineStacking, fitCombiner } from '../../src/ensemble/stacking.js';
import { seededRandom } from '../../src/numeric/random.js';

describe('the stacking combiner conditions its calibration on the amount of evidence', () => {
  it('trusts the same member score less after one message than after twenty, as its training rows say', () => {
    // One member whose log-odds z are right after 20 messages (P = sigmoid(z)) but worth a third after one.
    const r = seededRandom(5);
    const rows: number[][] = [];
    const labels: Label[] = [];
    const supports: DetectionSupport[] = [];
    for (const [messages, worth] of [
      [1, 1 / 3],
      [20, 1],
    ] as const) {
      for (let i = 0; i < 2000; i++) {
        const z = (r() - 0.5) * 10;
        rows.push([1 / (1 + Math.exp(-z))]);
        labels.push(r() < 1 / (1 + Math.exp(-worth * z)) ? 'bot' : 'human');
        supports.push({ targetMessages: messages, targetCharacters: 50 * messages });
      }
    }
    const model = fitCombiner(rows, labels, 1, supports);
    expect(model.evidenceAware).toBe(true);
    const z = (p: number, messages: number) =>
      combineStacking(model, [p], { targetMessages: messages, targetCharacters: 50 * messages }).logOdds!;
    const p = 1 / (1 + Math.exp(-3));
    expect(z(p, 1)).toBeGreaterThan(0.5);
    expect(z(p, 1)).toBeLessThan(1.6);
    expect(z(p, 20)).toBeGreaterThan(2.3);
    expect(z(p, 20)).toBeLessThan(3.7);
    const note = combineStacking(model, [p], { targetMessages: 1, targetCharacters: 50 }).notes?.[0];
    expect(note?.name).toBe('evidence_amount');
  });
});
