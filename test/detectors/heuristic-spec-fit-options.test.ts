import { describe, expect, it } from 'vitest';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { createDetector } from '../../src/detectors/registry.js';
import { expectSameRefusal } from '../helpers/option-refusal.js';

describe('the heuristic spec takes the fit options the constructor takes', () => {
  it('l2 and evidenceShrinkage given in a spec reach the detector (its saved state shows them)', async () => {
    const d = await createDetector({ type: 'heuristic', l2: 10, evidenceShrinkage: 2 });
    const state = (d as HeuristicDetector).toJSON();
    expect(JSON.stringify(state)).toContain('"l2":10');
    expect(JSON.stringify(state)).toContain('"evidenceShrinkage":2');
  });

  it('refuses a bad l2 or evidenceShrinkage with the same words as the constructor', async () => {
    const construct = (o: Record<string, unknown>) => new HeuristicDetector(o);
    for (const key of ['l2', 'evidenceShrinkage']) {
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, null, '1']) {
        const reason = await expectSameRefusal('heuristic', construct, key, bad);
        expect(reason).toMatch(/expected a non-negative number/);
      }
    }
  });
});
