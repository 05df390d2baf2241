import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `code` (TypeScript through tsx) in a Node process where `hnswlib-node` cannot be found, as in a light install. */
function withoutHnswlib(code: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'botlens-nohnsw-'));
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(spec, ctx, next) {
  if (spec === 'hnswlib-node') {
    const e = new Error("Cannot find package 'hnswlib-node' imported from " + ctx.parentURL);
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(spec, ctx);
}`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  return execFileSync(
    process.execPath,
    ['--import', register, '--import', 'tsx', '--input-type=module', '-e', code],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
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
