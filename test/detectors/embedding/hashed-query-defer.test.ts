import { describe, expect, it } from 'vitest';
import type { LabelledTranscript } from '../../../src/core/transcript.js';
import { EmbeddingCentroidDetector } from '../../../src/detectors/embedding/embedding-centroid-detector.js';
import type { Features } from '../../../src/detectors/embedding/model.js';
import { seededRandom } from '../../../src/numeric/random.js';
import { HashingEmbedder } from '../../../src/runtime/hashing-embedder.js';

/** Sentences from a few common words (hot buckets: most labelled vectors use them) and many rare ones. */
function sentences(seed: number) {
  const r = seededRandom(seed);
  const common = ['the', 'you', 'and', 'i', 'is', 'do', 'to', 'what', 'are', 'like', '?', '.', '!'];
  const rare = Array.from({ length: 2000 }, () =>
    Array.from({ length: 3 + Math.floor(r() * 6) }, () =>
      String.fromCharCode(97 + Math.floor(r() * 26)),
    ).join(''),
  );
  return (): string =>
    Array.from({ length: 4 + Math.floor(r() * 10) }, () =>
      r() < 0.55 ? common[Math.floor(r() * common.length)]! : rare[Math.floor(r() * rare.length)]!,
    ).join(' ');
}

function expectSameFeatures(a: Features | null, b: Features | null): void {
  expect(a === null).toBe(b === null);
  if (!a || !b) return;
  expect(a.neighbours.map((x) => x.id)).toEqual(b.neighbours.map((x) => x.id));
  a.neighbours.forEach((x, i) => {
    expect(Math.abs(x.similarity - b.neighbours[i]!.similarity)).toBeLessThanOrEqual(1e-12);
  });
  for (const k of ['cosBot', 'cosHuman', 'knnShare'] as const)
    expect(Math.abs(a[k] - b[k])).toBeLessThanOrEqual(1e-12);
}

describe('HashedQuery with deferred hot changes (the stream)', () => {
  it('picks the neighbours exhaustive selection picks after every message, on random text', async () => {
    for (const [seed, k] of [
      [3, 10],
      [5, 1],
      [9, 25],
    ] as const) {
      const next = sentences(seed);
      const train: LabelledTranscript[] = Array.from({ length: 300 }, (_, i) => ({
        messages: Array.from({ length: 2 + (i % 4) }, () => ({ speaker: 't', text: next() })),
        target: 't',
        label: i % 3 === 0 ? 'human' : 'bot',
      }));
      const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 4096 }), k });
      await d.fit(train);
      const p = await d.streamParts();
      const make = d.hashedQuery(p.m, p.embedder, p.index)!;
      const embedder = p.embedder as HashingEmbedder;
      const [lazy, eager] = [make(true), make(false)];
      const [accL, accE] = [embedder.accumulator(true), embedder.accumulator(true)];
      let deferredReads = 0;
      for (let i = 0; i < 150; i++) {
        const text = next();
        accL.add(text, lazy.apply);
        accE.add(text, eager.apply);
        const f = lazy.features();
        // Read with hot changes still pending: the neighbours came from the bounds, not from applying them.
        if (lazy.pendingHot > 0) deferredReads++;
        expectSameFeatures(f, eager.features());
        expect(eager.pendingHot).toBe(0);
      }
      // The bounds did the work at many reads (otherwise this test would not test them): 102, 131 and 62 of
      // the 150 here.
      expect(deferredReads).toBeGreaterThan(40);
    }
  }, 60_000);
});
