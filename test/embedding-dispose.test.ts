/**
 * An embedding detector built from a spec (`createDetector`, `createEnsemble`, `botlens fit`) creates its
 * transformer embedder itself, so its `dispose()` must give the embedder's model back. It used to keep the model
 * loaded: the embedder was passed in as if the caller owned it, and a passed-in embedder is left open.
 */
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import type { Detector } from '../src/core/detector.js';
import type { LabelledTranscript } from '../src/core/transcript.js';
import { EmbeddingCentroidDetector } from '../src/detectors/embedding/embedding-centroid-detector.js';
import { createDetector, createEnsemble, detectorFromState } from '../src/index.js';
import { loadedModels } from '../src/runtime/load-model.js';
import { TransformersEmbedder } from '../src/runtime/transformers-embedder.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';
import { chat } from './helpers/transcripts.js';

const MODEL = resolve(HF_TINY, 'tiny-bert');

/** How many handles hold the tiny BERT fixture (0: not loaded). */
function tinyBertRefs(): number {
  return loadedModels()
    .filter((m) => m.key.includes(MODEL))
    .reduce((n, m) => n + m.refs, 0);
}

const TRAIN: LabelledTranscript[] = Array.from({ length: 12 }, (_, i) => ({
  ...chat('x', [
    'y: hi, how are you?',
    i % 2
      ? `x: I am an assistant. How can I help you today, number ${i}?`
      : `x: lol tired, beach all day ${i}`,
  ]),
  label: i % 2 ? 'bot' : 'human',
}));

/** Detects (the model is then loaded, once), disposes, and checks that the model was given back. */
async function detectThenDispose(d: Detector): Promise<void> {
  await d.detect(TRAIN[1]!);
  expect(tinyBertRefs()).toBe(1);
  await d.dispose?.();
  expect(tinyBertRefs()).toBe(0);
}

describeWithShared('dispose() of an embedding detector with the transformer embedder (tiny-bert)', () => {
  it('createDetector: fit, detect and dispose leave no model loaded', async () => {
    const d = await createDetector({ type: 'embedding', embedder: 'transformers', model: MODEL });
    await d.fit?.(TRAIN);
    await detectThenDispose(d);
  }, 60_000);

  it('createEnsemble (stacking, out-of-fold fits): fit and dispose leave no model loaded', async () => {
    const e = await createEnsemble({
      strategy: 'stacking',
      detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'transformers', model: MODEL }],
    });
    await e.fit?.(TRAIN);
    expect(tinyBertRefs()).toBeGreaterThan(0);
    const state = e.toJSON?.();
    await e.dispose?.();
    expect(tinyBertRefs()).toBe(0);
    // Restored from its saved state, it loads the model again on first use and gives it back on dispose.
    await detectThenDispose(await detectorFromState(state!));
  }, 120_000);

  it('an embedder passed in is still left open: its owner releases the model', async () => {
    const embedder = new TransformersEmbedder({ model: MODEL });
    const d = new EmbeddingCentroidDetector({ embedder });
    await d.fit(TRAIN);
    await d.dispose();
    expect(tinyBertRefs()).toBe(1);
    await embedder.dispose();
    expect(tinyBertRefs()).toBe(0);
  }, 60_000);
});
