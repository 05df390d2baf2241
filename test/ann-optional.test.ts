import { describe, expect, it } from 'vitest';
import { runWithoutPackage } from './helpers/without-package.js';

/** Runs `code` (TypeScript through tsx) in a Node process where `hnswlib-node` cannot be found, as in a light install. */
function withoutHnswlib(code: string): string {
  return runWithoutPackage('hnswlib-node', code);
}

describe('the HNSW index is an optional peer dependency', () => {
  it('without hnswlib-node: HnswIndex.create names the install command, hnswAvailable() is false', () => {
    const out = withoutHnswlib(`
      const { HnswIndex, hnswAvailable } = await import('./src/ann/hnsw-index.ts');
      console.log(JSON.stringify({ available: await hnswAvailable() }));
      try { await HnswIndex.create({ dim: 4 }); console.log('created'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`);
    const [a, b] = out
      .trim()
      .split('\n')
      .slice(-2)
      .map((l) => JSON.parse(l));
    expect(a).toEqual({ available: false });
    expect(b).toMatchObject({ name: 'MissingDependencyError', code: 'MISSING_DEPENDENCY' });
    expect(b.message).toContain('npm install hnswlib-node');
  });

  it("without hnswlib-node: the embedding detector's useAnn 'auto' uses exact search; useAnn: true names the install", () => {
    const out = withoutHnswlib(`
      const { EmbeddingCentroidDetector } = await import('./src/detectors/embedding/embedding-centroid-detector.ts');
      // Dense 8-d vectors from the characters: enough of them for 'auto' to choose HNSW.
      const embedder = { id: 'dense-test', embed: async (texts) => texts.map((t) => Float32Array.from({ length: 8 }, (_, i) => 1 + (t.charCodeAt(i % t.length) % 7) + i / 10)) };
      const data = Array.from({ length: 40 }, (_, i) => ({
        target: 'x', label: i % 2 ? 'bot' : 'human',
        messages: [{ speaker: 'x', text: (i % 2 ? 'Hello ! How are you today ? ' : 'lol ok brb ') + i }],
      }));
      const t = { target: 'x', messages: [{ speaker: 'x', text: 'Hello ! How are you ?' }] };
      const auto = new EmbeddingCentroidDetector({ embedder, annMinExamples: 10 });
      await auto.fit(data);
      const exact = new EmbeddingCentroidDetector({ embedder, useAnn: false });
      await exact.fit(data);
      console.log(JSON.stringify({ chosen: auto.searchMethod, same: (await auto.detect(t)).score === (await exact.detect(t)).score }));
      const forced = new EmbeddingCentroidDetector({ embedder, useAnn: true });
      const err = await forced.fit(data).then(() => forced.detect(t)).then(() => null, (e) => e.name);
      console.log(JSON.stringify({ forced: err }));`);
    const [a, b] = out
      .trim()
      .split('\n')
      .slice(-2)
      .map((l) => JSON.parse(l));
    expect(a).toEqual({ chosen: 'hnsw', same: true });
    expect(b).toEqual({ forced: 'MissingDependencyError' });
  });
});
