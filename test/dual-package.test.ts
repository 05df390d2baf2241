/**
 * The dual-package hazard: an app that both `import`s and `require`s botlens loads two copies of it (the ESM and
 * the CJS build). Facts one copy records on an object and the other reads (the stacking ensemble's marks on its
 * members' training data, a detection's features, what was validated already, an embedder's model source) are
 * shared by the copies, so a fit, a score or a saved state never depends on which copy made which object. Runs
 * the built package (dist/, built first when missing or older than src/) in a child process that loads both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BOTLENS_BUILD_VERSION,
  sharedAcrossCopies,
  sharedRegistryKey,
} from '../src/core/shared-across-copies.js';
import { ensureBuilt } from './helpers/built-package.js';
import { ROOT, runProcess } from './helpers/run-cli.js';

interface Fit {
  state: string;
  scores: number[];
  labelled: number;
}
interface Report {
  distinctCopies: boolean;
  chats: number;
  fits: { esm: Fit; esmEnsembleCjsMembers: Fit; cjsEnsembleEsmMembers: Fit };
  longChat: { esm: number | string; esmValidatedCjsDetector: number | string };
  hashingFit: { esm: string; cjsEmbedderEsmDetector: string };
  embedderModel: { esm: unknown; cjsEmbedderEsmDetector: unknown };
  registered: { esm: unknown; cjsRegisteredEsmUsed: unknown };
  pluginInBothCopies: unknown;
}

describe('two copies of botlens in one process (ESM and CJS builds)', () => {
  let report: Report;
  beforeAll(async () => {
    await ensureBuilt();
    const r = await runProcess(process.execPath, [
      join(ROOT, 'test/fixtures/dual-package/fit-across-copies.mjs'),
      ROOT,
      join(ROOT, 'test/quality/fixtures/chats.jsonl'),
    ]);
    if (r.code !== 0) throw new Error(`fit-across-copies.mjs failed (${r.code ?? r.signal}):\n${r.stderr}`);
    report = JSON.parse(r.stdout) as Report;
  }, 600_000);

  it('loads two distinct copies', () => {
    expect(report.distinctCopies).toBe(true);
  });

  it('a stacking ensemble fits the same whichever copy its Ensemble and its members come from', () => {
    const { esm, esmEnsembleCjsMembers, cjsEnsembleEsmMembers } = report.fits;
    // The embedding member keeps the prefix cuts the ensemble marked out of its kNN set: one vector per chat.
    expect(esm.labelled).toBe(report.chats);
    for (const mixed of [esmEnsembleCjsMembers, cjsEnsembleEsmMembers]) {
      expect(mixed.labelled).toBe(report.chats);
      expect(mixed.state).toBe(esm.state);
      expect(mixed.scores).toEqual(esm.scores);
    }
  });

  it('a transcript one copy validated under raised limits is accepted by the other', () => {
    expect(typeof report.longChat.esm).toBe('number');
    expect(report.longChat.esmValidatedCjsDetector).toBe(report.longChat.esm);
  });

  it("an embedding detector takes the other copy's hashing embedder as a hashing embedder", () => {
    expect(report.hashingFit.esm).toMatch(/^\{"kind":"embedding"/);
    expect(report.hashingFit.cjsEmbedderEsmDetector).toBe(report.hashingFit.esm);
  });

  it('a detector type registered through one copy is known to specs and saved states of the other', () => {
    expect(report.registered.esm).toMatchObject({ listed: true, score: expect.any(Number) });
    expect(report.registered.cjsRegisteredEsmUsed).toEqual(report.registered.esm);
    // A plugin built for both module systems registers its type in each copy, and each copy uses its own.
    expect(report.pluginInBothCopies).toBe(true);
  });

  it("a detector saves the model source of the other copy's embedder", () => {
    expect(report.embedderModel.esm).toEqual({ model: '/models/some-embedder' });
    expect(report.embedderModel.cjsEmbedderEsmDetector).toEqual(report.embedderModel.esm);
  });
});

describe('sharedAcrossCopies', () => {
  it('gives every caller the registry the first one made', () => {
    const name = `test.shared-${process.pid}-${Date.now()}`;
    const first = sharedAcrossCopies(name, () => new WeakSet<object>());
    const second = sharedAcrossCopies(name, () => new WeakSet<object>());
    expect(second).toBe(first);
    expect((globalThis as unknown as Record<symbol, unknown>)[sharedRegistryKey(name)]).toBe(first);
  });

  it('keys a registry by the package version, so another release keeps its own (two releases load side by side)', () => {
    expect(BOTLENS_BUILD_VERSION).toBe('source');
    const name = `test.versioned-${process.pid}-${Date.now()}`;
    const mine = sharedAcrossCopies(name, () => new Map<string, number>());
    expect(sharedRegistryKey(name, '1.2.3')).not.toBe(sharedRegistryKey(name));
    expect(sharedRegistryKey(name, '1.2.3')).not.toBe(sharedRegistryKey(name, '1.2.4'));
    expect(sharedRegistryKey(name, '1.2.3')).toBe(Symbol.for(`botlens.${name}@1.2.3`));
    expect(
      (globalThis as unknown as Record<symbol, unknown>)[sharedRegistryKey(name, '1.2.3')],
    ).toBeUndefined();
    expect(sharedAcrossCopies(name, () => new Map<string, number>())).toBe(mine);
  });

  it('the build writes in the package version, in both the ESM and the CJS build', async () => {
    await ensureBuilt();
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const script = `const { createRequire } = require('node:module');
      const keys = (g) => Object.getOwnPropertySymbols(g).map(String).filter((k) => k.includes('botlens.validated-transcripts'));
      import(${JSON.stringify(join(ROOT, 'dist/index.js'))}).then(() => {
        const esm = keys(globalThis);
        createRequire(${JSON.stringify(join(ROOT, 'package.json'))})(${JSON.stringify(join(ROOT, 'dist/index.cjs'))});
        console.log(JSON.stringify({ esm, both: keys(globalThis) }));
      });`;
    const r = await runProcess(process.execPath, ['-e', script]);
    if (r.code !== 0) throw new Error(`the check failed (${r.code ?? r.signal}):\n${r.stderr}`);
    const want = [`Symbol(botlens.validated-transcripts@${version})`];
    expect(JSON.parse(r.stdout)).toEqual({ esm: want, both: want });
  }, 600_000);
});
