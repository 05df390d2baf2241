import { describe, expect, it } from 'vitest';
import type { DetectorState } from '../src/core/detector.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { detectorFromState, MAX_STATE_DEPTH } from '../src/detectors/registry.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';

/** A fitted ensemble holding an ensemble holding ... `depth` levels, the heuristic at the bottom. */
function nested(depth: number): DetectorState {
  const shell = new Ensemble([new HeuristicDetector()], { strategy: 'weighted-mean' }).toJSON();
  let s: DetectorState = new HeuristicDetector().toJSON();
  for (let i = 0; i < depth; i++) {
    s = { ...shell, name: `e${i}`, memberNames: [String(s['name'])], members: [s], weights: {} };
  }
  return s;
}

const t = { target: 'a', messages: [{ speaker: 'a', text: 'hello there!' }] };

describe('saved state bounds', () => {
  it('a fitted ensemble nested 2,000 deep is refused with a clear error, not a stack overflow', async () => {
    await expect(detectorFromState(nested(2000))).rejects.toSatisfy(
      (e: unknown) => InvalidOptionsError.isInstance(e) && /nested more than 16 deep/.test(e.message),
    );
  });

  it('nesting up to the bound still loads and detects', async () => {
    const d = await detectorFromState(nested(MAX_STATE_DEPTH));
    expect((await d.detect(t)).score).toBeTypeOf('number');
  });

  it('sizes in saved state are bounded (k, hnsw m, ensemble members)', async () => {
    const huge = { kind: 'embedding', version: 1, k: 1e9, hnsw: { m: 1e6 }, embedderId: null, model: null };
    await expect(detectorFromState(huge)).rejects.toSatisfy(
      (e: unknown) =>
        InvalidOptionsError.isInstance(e) && /k:.*1000/.test(e.message) && /hnsw\.m/.test(e.message),
    );
    const wide = nested(1);
    wide['members'] = Array.from({ length: 10_000 }, () => new HeuristicDetector().toJSON());
    await expect(detectorFromState(wide)).rejects.toSatisfy(
      (e: unknown) => InvalidOptionsError.isInstance(e) && /at most 256/.test(e.message),
    );
  });
});
