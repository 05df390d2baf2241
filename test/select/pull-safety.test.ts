/**
 * `botlens pull` and model loading against a hostile or broken hub (the fake hub on loopback), through real CLI
 * child processes and real files: ids and revisions cannot leave the cache, symlinks in the cache cannot redirect
 * a download, and bytes that do not match the hub's SHA-256 are refused, with nothing half-written.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../src/errors/integrity-error.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { verifyPulledFolder } from '../../src/fs/file-digest.js';
import { pullModel } from '../../src/hub/pull-model.js';
import { acquireModel } from '../../src/runtime/load-model.js';
import { resolveModelLocation } from '../../src/runtime/model-location.js';
import { type FakeHub, startFakeHub } from '../helpers/fake-hub.js';
import { runCli } from '../helpers/run-cli.js';

const TINY = 'botlens-fixtures/tiny-random-bert';
let hub: FakeHub;
let work: string;

beforeAll(async () => {
  hub = await startFakeHub({ acceptAnyRevision: true });
});
afterAll(async () => {
  await hub.close();
});
beforeEach(async () => {
  hub.reset();
  work = await mkdtemp(join(tmpdir(), 'botlens-pull-safety-'));
  return () => rm(work, { recursive: true, force: true });
});

async function tree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await tree(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

const env = { HF_TOKEN: '', BOTLENS_OFFLINE: '' };

describe('pull keeps every path inside the cache', () => {
  it('refuses a revision that climbs out of --cache-dir, and writes nothing anywhere', async () => {
    const cache = join(work, 'cache');
    await mkdir(cache);
    // <cache>/botlens-fixtures/tiny-random-bert/../../../escaped = <work>/escaped
    const r = await runCli(
      ['pull', TINY, '--revision', '../../../escaped', '--cache-dir', cache, '--hub-url', hub.url, '--quiet'],
      { env },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/revision.*is not a branch, tag or commit sha/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(work, 'escaped'))).toBe(false);
    expect(await tree(cache)).toEqual([]);
    // Refused before any request reached the hub.
    expect(hub.requests).toEqual([]);
  });

  it('refuses ids that are paths', async () => {
    for (const id of ['../x/y', 'a/../../b', '/etc/passwd', 'a/b/c', '.hidden/x']) {
      const err = await pullModel(id, { hubUrl: hub.url, cacheDir: work }).catch((e: unknown) => e);
      expect(InvalidOptionsError.isInstance(err), id).toBe(true);
    }
  });

  it('refuses a symlink in the cache that points outside it', async () => {
    const cache = join(work, 'cache');
    const elsewhere = join(work, 'elsewhere');
    await mkdir(cache);
    await mkdir(elsewhere);
    await symlink(elsewhere, join(cache, 'botlens-fixtures'));
    const r = await runCli(['pull', TINY, '--cache-dir', cache, '--hub-url', hub.url, '--quiet'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/resolves outside/);
    expect(await tree(elsewhere)).toEqual([]);
  });

  it('keeps branch, tag and sha revisions working', async () => {
    const sha = hub.fixtures.get(TINY)!.info.sha;
    for (const rev of [sha, 'v1.0', 'release_2']) {
      const r = await pullModel(TINY, { hubUrl: hub.url, cacheDir: work, revision: rev, dtypes: ['q8'] });
      expect(r.folder).toBe(join(work, 'botlens-fixtures', 'tiny-random-bert', ...rev.split('/')));
    }
  });

  it('offline loading refuses the same revisions (the load path is formed from them)', () => {
    const at = (revision: string) => () =>
      resolveModelLocation({ defaultModel: TINY, revision, offline: true, cacheDir: work });
    expect(at('../../../../tmp/x')).toThrow(/is not a branch, tag or commit sha/);
    expect(at('main/../../x')).toThrow(/is not a branch, tag or commit sha/);
    expect(at('v1.0')().location).toBe(join(work, 'botlens-fixtures', 'tiny-random-bert', 'v1.0'));
    expect(at('refs/pr/3')().location).toBe(
      join(work, 'botlens-fixtures', 'tiny-random-bert', 'refs', 'pr', '3'),
    );
  });
});

describe('pull and loading check the hub SHA-256', () => {
  it('refuses a download that does not match lfs.oid, leaving no file and no temporary', async () => {
    hub.tamper(TINY, 'onnx/model_quantized.onnx');
    const r = await runCli(
      ['pull', TINY, '--dtype', 'q8', '--cache-dir', work, '--hub-url', hub.url, '--quiet'],
      { env },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/onnx\/model_quantized\.onnx .*does not match the SHA-256 the hub lists/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const files = await tree(work);
    expect(files.some((f) => f.endsWith('model_quantized.onnx'))).toBe(false);
    expect(files.some((f) => f.includes('.part'))).toBe(false);

    const err = await pullModel(TINY, { hubUrl: hub.url, cacheDir: work, dtypes: ['q8'] }).catch(
      (e: unknown) => e,
    );
    expect(IntegrityError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ file: 'onnx/model_quantized.onnx' });
  });

  it('records the digests and re-downloads a cached file whose bytes changed', async () => {
    const first = await pullModel(TINY, { hubUrl: hub.url, cacheDir: work, dtypes: ['q8'] });
    const onnx = first.files.find((f) => f.path === 'onnx/model_quantized.onnx')!;
    expect(onnx.sha256).toMatch(/^[0-9a-f]{64}$/);
    const manifest = JSON.parse(await readFile(join(first.folder, '.botlens-files.json'), 'utf8')) as {
      files: { path: string; sha256?: string }[];
    };
    expect(manifest.files.find((f) => f.path === onnx.path)?.sha256).toBe(onnx.sha256);
    // Same size, other bytes: the size check alone would keep it.
    const path = join(first.folder, 'onnx', 'model_quantized.onnx');
    const bytes = await readFile(path);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(path, bytes);
    const again = await pullModel(TINY, { hubUrl: hub.url, cacheDir: work, dtypes: ['q8'] });
    expect(again.files.find((f) => f.path === onnx.path)?.cached).toBe(false);
  });

  /**
   * Flips one byte of a file and puts its mtime back to the nanosecond (GNU touch: `utimes` takes a double of
   * seconds and loses the last digits), so only hashing the file can tell.
   */
  async function flipKeepingMtime(path: string): Promise<void> {
    const ns = (await stat(path, { bigint: true })).mtimeNs;
    const bytes = await readFile(path);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(path, bytes);
    const nano = String(ns % 1_000_000_000n).padStart(9, '0');
    execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${nano}`, path]);
    expect((await stat(path, { bigint: true })).mtimeNs).toBe(ns);
  }

  it('trusts, within the process, a folder the pull has just hashed file by file (no second hash at load)', async () => {
    const r = await pullModel(TINY, { hubUrl: hub.url, cacheDir: work });
    // Same size and mtime, other bytes: the check at load skips the hash the pull has just made.
    await flipKeepingMtime(join(r.folder, 'onnx', 'model.onnx'));
    await expect(verifyPulledFolder(r.folder)).resolves.toBeUndefined();
  });

  it('still hashes, at load, a file kept from an earlier pull into the same folder', async () => {
    const q8 = await pullModel(TINY, { hubUrl: hub.url, cacheDir: work, dtypes: ['q8'] });
    await flipKeepingMtime(join(q8.folder, 'onnx', 'model_quantized.onnx'));
    // This pull fetches fp32 and keeps the q8 graph listed without hashing it.
    const fp32 = await pullModel(TINY, { hubUrl: hub.url, cacheDir: work });
    expect(fp32.files.some((f) => f.path === 'onnx/model_quantized.onnx')).toBe(false);
    const err = await verifyPulledFolder(fp32.folder).catch((e: unknown) => e);
    expect(IntegrityError.isInstance(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/model_quantized\.onnx .*changed after the pull/);
  });

  it('model loading refuses a pulled file changed after the pull', async () => {
    const r = await pullModel(TINY, { hubUrl: hub.url, cacheDir: work });
    const path = join(r.folder, 'onnx', 'model.onnx');
    const bytes = await readFile(path);
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(path, bytes);
    const err = await acquireModel('feature-extraction', {
      defaultModel: TINY,
      offline: true,
      cacheDir: work,
    }).catch((e: unknown) => e);
    expect(IntegrityError.isInstance(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/changed after the pull/);
  });
});
