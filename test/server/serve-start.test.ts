/**
 * `botlens serve` start-up: every missing optional package is named at once with one install line, and a detector
 * that fails to load ends the command before it says it listens.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAllOptional } from '../../src/core/optional-import.js';
import { MissingDependencyError } from '../../src/errors/missing-dependency-error.js';
import { runCli } from '../helpers/run-cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'botlens-serve-start-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('missing optional packages', () => {
  it('are reported together, with one npm install line, in a grammatical sentence', async () => {
    const a = 'botlens-test-absent-a';
    const b = '@botlens-test/absent-b';
    const err = await importAllOptional([
      {
        feature: 'The HTTP service',
        loads: [
          [a, () => import(a)],
          ['vitest', () => import('vitest')],
          [b, () => import(b)],
        ],
      },
    ]).catch((e: unknown) => e);
    expect(MissingDependencyError.isInstance(err)).toBe(true);
    const e = err as MissingDependencyError;
    expect(e.packageNames).toEqual([a, b]);
    expect(e.message).toBe(
      `The optional packages "${a}" and "${b}", needed for the HTTP service, are not installed: run \`npm install ${a} ${b}\`.`,
    );
    await expect(
      importAllOptional([{ feature: 'The HTTP service', loads: [['vitest', () => import('vitest')]] }]),
    ).resolves.toBeUndefined();
  });

  it('one missing package reads in the singular and keeps a feature name in capitals', () => {
    expect(new MissingDependencyError('hnswlib-node', 'HNSW vector indexes').message).toBe(
      'The optional package "hnswlib-node", needed for HNSW vector indexes, is not installed: run `npm install hnswlib-node`.',
    );
  });
});

describe('serve with a detector that cannot load', () => {
  it('exits 1 naming the detector, and never prints "listening on"', async () => {
    const models = join(tmp, 'models');
    await mkdir(models);
    const config = join(tmp, 'serve.config.json');
    await writeFile(
      config,
      JSON.stringify({
        ensemble: {
          strategy: 'weighted-mean',
          detectors: [{ type: 'heuristic' }, { type: 'nli', modelDir: models }],
        },
      }),
    );
    const r = await runCli(['serve', '--config', config, '--port', '0'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Required detector failed to load: "nli"/);
    expect(r.stderr).not.toMatch(/listening on/);
  });
});
