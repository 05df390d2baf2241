import { join } from 'node:path';
import { expect, it } from 'vitest';
import { markFoldFit } from '../../../src/core/training-marks.js';
import { readTranscriptsJsonl } from '../../../src/data/read-transcripts.js';
import type { EnsembleSpec } from '../../../src/detectors/detector-spec.js';
import { EmbeddingCentroidDetector } from '../../../src/detectors/embedding/embedding-centroid-detector.js';
import { createEnsemble, detectorFromState } from '../../../src/detectors/registry.js';
import { HashingEmbedder } from '../../../src/runtime/hashing-embedder.js';
import { CONVAI_DIR, describeWithShared } from '../../helpers/shared.js';

describeWithShared('EmbeddingCentroidDetector out-of-fold refit (warm probe)', () => {
  it('scores as a fresh detector does within the probe solver’s tolerance, and an unmarked refit exactly', async () => {
    const all = await readTranscriptsJsonl(join(CONVAI_DIR, 'train.jsonl'));
    const first = all.slice(0, 500);
    const second = all.slice(100, 600);
    const held = all.slice(600, 680);
    const make = () => new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 4096 }) });
    const warm = make();
    await warm.fit(first);
    await warm.fit(markFoldFit([...second]));
    const fresh = make();
    await fresh.fit(second);
    const a = await warm.detectBatch(held);
    const b = await fresh.detectBatch(held);
    let worst = 0;
    a.forEach((d, i) => {
      worst = Math.max(worst, Math.abs(d.score! - b[i]!.score!));
    });
    expect(worst).toBeLessThan(0.02);
    expect(warm.toJSON()).not.toEqual(fresh.toJSON());
    const cold = make();
    await cold.fit(first);
    await cold.fit(second);
    expect(cold.toJSON()).toEqual(fresh.toJSON());
  }, 60_000);

  it('starts cold on the first out-of-fold fit after fromJSON() or dispose(), as a fresh detector does (bit for bit)', async () => {
    const all = await readTranscriptsJsonl(join(CONVAI_DIR, 'train.jsonl'));
    const first = all.slice(0, 500);
    const second = all.slice(100, 600);
    const embedder = new HashingEmbedder({ dim: 4096 });
    const make = () => new EmbeddingCentroidDetector({ embedder });
    const fitted = make();
    await fitted.fit(first);
    const fresh = make();
    await fresh.fit(markFoldFit([...second]));
    const restored = EmbeddingCentroidDetector.fromJSON(fitted.toJSON(), { embedder });
    await restored.fit(markFoldFit([...second]));
    expect(restored.toJSON?.()).toEqual(fresh.toJSON());
    await fitted.dispose();
    await fitted.fit(markFoldFit([...second]));
    expect(fitted.toJSON()).toEqual(fresh.toJSON());
  }, 60_000);

  it('a stacking ensemble restored from its state and refitted equals a fresh one fitted on the same data', async () => {
    const all = await readTranscriptsJsonl(join(CONVAI_DIR, 'train.jsonl'));
    const train = all.slice(0, 400);
    const spec: EnsembleSpec = {
      strategy: 'stacking',
      detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'hashing' }],
    };
    const first = await createEnsemble(spec);
    await first.fit(all.slice(200, 600));
    const restored = await detectorFromState(first.toJSON());
    if (!restored.fit) throw new Error('a restored stacking ensemble has fit()');
    await restored.fit(train);
    const fresh = await createEnsemble(spec);
    await fresh.fit(train);
    expect(restored.toJSON?.()).toEqual(fresh.toJSON());
  }, 120_000);
});
