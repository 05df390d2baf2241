/**
 * The dual-package hazard: an app that both `import`s and `require`s botlens loads two copies of it (the ESM and
 * the CJS build). Facts one copy records on an object and the other reads (the stacking ensemble's marks on its
 * members' training data, a detection's features, what was validated already, an embedder's model source) are
 * shared by the copies, so a fit, a score or a saved state never depends on which copy made which object. Runs
 * the built package (dist/, built first when missing or older than src/) in a child process that loads both.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedAcrossCopies } from '../src/core/shared-across-copies.js';
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

  it("a detector saves the model source of the other copy's embedder", () => {
    expect(report.embedderModel.esm).toEqual({ model: '/models/some-embedder' });
    expect(report.embedderModel.cjsEmbedderEsmDetector).toEqual(report.embedderModel.esm);
  });
});

describe('sharedAcrossCopies', () => {
  it('gives every caller the registry the first one made', () => {
    const name = `test.shared-${process.pid}-${Date.now()}`;
    const first = sharedAcrossCopies(name, 1, () => new WeakSet<object>());
    const second = sharedAcrossCopies(name, 1, () => new WeakSet<object>());
    expect(second).toBe(first);
  });

  it('gives a copy that expects another version of a registry its own (two versions load side by side)', () => {
    const name = `test.versioned-${process.pid}-${Date.now()}`;
    const v1 = sharedAcrossCopies(name, 1, () => new Map<string, number>());
    const v2 = sharedAcrossCopies(name, 2, () => new Map<string, number>());
    expect(v2).not.toBe(v1);
    expect(sharedAcrossCopies(name, 1, () => new Map<string, number>())).toBe(v1);
  });
});
