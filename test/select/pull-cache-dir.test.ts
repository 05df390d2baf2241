/**
 * `botlens pull --cache-dir X` checks that X can hold the model (a writable folder, or a path whose nearest
 * existing folder is writable) before any request reaches the hub: real CLI child processes against the fake hub.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHub, startFakeHub } from '../helpers/fake-hub.js';
import { runCli } from '../helpers/run-cli.js';

const TINY = 'botlens-fixtures/tiny-random-bert';
const env = { HF_TOKEN: '', BOTLENS_OFFLINE: '' };
let hub: FakeHub;
let work: string;

beforeAll(async () => {
  hub = await startFakeHub({ acceptAnyRevision: true });
  work = await mkdtemp(join(tmpdir(), 'botlens-pull-cache-dir-'));
});
afterAll(async () => {
  await hub.close();
  await rm(work, { recursive: true, force: true });
});

describe('pull --cache-dir', () => {
  it('refuses a file, before the hub is asked', async () => {
    const file = join(work, 'chat.json');
    await writeFile(file, '{}\n');
    hub.reset();
    const r = await runCli(['pull', TINY, '--cache-dir', file, '--hub-url', hub.url, '--quiet'], { env });
    expect(r.stderr).toMatch(/--cache-dir.*chat\.json is a file: give a folder for --cache-dir/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(1);
    expect(hub.requests).toEqual([]);
  });

  it('refuses a folder that cannot be created, before the hub is asked', async () => {
    hub.reset();
    const r = await runCli(
      ['pull', TINY, '--cache-dir', '/proc/botlens-x', '--hub-url', hub.url, '--quiet'],
      {
        env,
      },
    );
    expect(r.stderr).toMatch(/--cache-dir.*cannot write in the folder \/proc/);
    expect(r.code).toBe(1);
    expect(hub.requests).toEqual([]);
  });
});
