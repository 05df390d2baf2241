import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors/aborted-error.js';
import { HubError } from '../../src/errors/hub-error.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { pullModel } from '../../src/hub/pull-model.js';
import type { LoadProgress } from '../../src/runtime/model-options.js';
import { useFakeHub } from '../helpers/fake-hub.js';

const hub = useFakeHub();
let cacheDir: string;

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'botlens-pull-'));
});
afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

const TINY = 'botlens-fixtures/tiny-random-bert';

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

describe('pullModel', () => {
  it('downloads config, tokenizer and the ONNX files of the dtype into <cacheDir>/<id>/, byte for byte', async () => {
    const events: LoadProgress[] = [];
    const r = await pullModel(TINY, { hubUrl: hub.url, cacheDir, onProgress: (p) => events.push(p) });
    expect(r.folder).toBe(join(cacheDir, 'botlens-fixtures', 'tiny-random-bert'));
    expect(await listFiles(r.folder)).toEqual([
      '.botlens-files.json',
      'config.json',
      'onnx/model.onnx',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
    const fx = hub.fixtures.get(TINY)!;
    expect(JSON.parse(await readFile(join(r.folder, 'config.json'), 'utf8'))).toEqual(
      fx.contents['config.json'],
    );
    expect(await readFile(join(r.folder, 'vocab.txt'), 'utf8')).toBe(fx.contents['vocab.txt']);
    const onnx = await readFile(join(r.folder, 'onnx/model.onnx'));
    const size = fx.tree.find((e) => e.path === 'onnx/model.onnx')!.size;
    expect(onnx.length).toBe(size);
    expect(onnx[1000]).toBe((1000 * 131 + size) & 0xff); // the fake hub's byte pattern
    expect(r.downloadedBytes).toBe(r.files.reduce((s, f) => s + f.size, 0));
    expect(r.files.every((f) => !f.cached)).toBe(true);
    // progress: initiate/download/progress/done per file, ready at the end, with byte counts
    expect(events.at(-1)).toEqual({ status: 'ready', model: TINY });
    const last = events.filter((e) => e.status === 'progress' && e.file === 'onnx/model.onnx').at(-1);
    expect(last).toMatchObject({ loaded: size, total: size, progress: 100 });
    expect(events.filter((e) => e.status === 'done')).toHaveLength(6);
    // no temporary files left behind
    expect((await listFiles(r.folder)).some((f) => f.endsWith('.part'))).toBe(false);
  });

  it('keeps cached files of the right size and downloads again with force', async () => {
    await pullModel(TINY, { hubUrl: hub.url, cacheDir });
    hub.reset();
    const again = await pullModel(TINY, { hubUrl: hub.url, cacheDir });
    expect(again.files.every((f) => f.cached)).toBe(true);
    expect(again.downloadedBytes).toBe(0);
    expect(hub.requests.some((q) => q.url.includes('/resolve/'))).toBe(false);

    // a truncated file is fetched again
    await writeFile(join(again.folder, 'onnx/model.onnx'), 'truncated');
    const repaired = await pullModel(TINY, { hubUrl: hub.url, cacheDir });
    expect(repaired.files.filter((f) => !f.cached).map((f) => f.path)).toEqual(['onnx/model.onnx']);

    const forced = await pullModel(TINY, { hubUrl: hub.url, cacheDir, force: true });
    expect(forced.files.every((f) => !f.cached)).toBe(true);
  });

  it('pulls several dtypes and pins a revision in <id>/<revision>/', async () => {
    const sha = hub.fixtures.get(TINY)!.info.sha;
    const r = await pullModel(TINY, { hubUrl: hub.url, cacheDir, dtypes: ['q8', 'fp16'], revision: sha });
    expect(r.folder).toBe(join(cacheDir, 'botlens-fixtures', 'tiny-random-bert', sha));
    const files = await listFiles(r.folder);
    expect(files).toContain('onnx/model_quantized.onnx');
    expect(files).toContain('onnx/model_fp16.onnx');
    expect(files).not.toContain('onnx/model.onnx');
    expect(hub.requests.some((q) => q.url.includes(`/resolve/${sha}/`))).toBe(true);
  });

  it('takes the merged decoder and skips the separate with/without-past graphs', async () => {
    const r = await pullModel('botlens-fixtures/tiny-random-gpt2', { hubUrl: hub.url, cacheDir });
    const onnx = (await listFiles(r.folder)).filter((f) => f.startsWith('onnx/'));
    expect(onnx).toEqual(['onnx/decoder_model_merged.onnx']);
  });

  it('says which dtypes exist when the one asked for does not, and refuses repos without ONNX', async () => {
    const e = await pullModel(TINY, { hubUrl: hub.url, cacheDir, dtypes: ['q4'] }).catch((x: unknown) => x);
    expect(InvalidOptionsError.isInstance(e)).toBe(true);
    expect((e as Error).message).toMatch(/no ONNX files for dtype q4; available: fp32, fp16, q8/);
    await expect(pullModel('facebook/bart-large-mnli', { hubUrl: hub.url, cacheDir })).rejects.toThrow(
      /no ONNX weights/,
    );
    await expect(pullModel(TINY, { hubUrl: hub.url, cacheDir, dtypes: ['int4' as 'q4'] })).rejects.toThrow(
      InvalidOptionsError,
    );
    await expect(pullModel('../etc', { hubUrl: hub.url, cacheDir })).rejects.toThrow(InvalidOptionsError);
  });

  it('reports a gated repo as a gated HubError and leaves no partial file', async () => {
    const e = await pullModel('meta-llama/Llama-3.2-1B', { hubUrl: hub.url, cacheDir }).catch(
      (x: unknown) => x,
    );
    // Llama has no ONNX export: pull refuses before downloading anything
    expect(InvalidOptionsError.isInstance(e)).toBe(true);

    hub.addFault({
      match: (q) => q.url.includes('/resolve/') && q.url.includes('onnx/model.onnx'),
      status: 401,
      headers: { 'X-Error-Code': 'GatedRepo' },
      body: JSON.stringify({
        error: `Access to model ${TINY} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      }),
    });
    const events: LoadProgress[] = [];
    const gated = await pullModel(TINY, {
      hubUrl: hub.url,
      cacheDir,
      onProgress: (p) => events.push(p),
    }).catch((x: unknown) => x);
    expect(HubError.isInstance(gated)).toBe(true);
    // A progress bar hears that the pull ended: one `failed`, last, and no `ready`.
    expect(events.at(-1)).toEqual({ status: 'failed', model: TINY });
    expect(events.filter((x) => x.status === 'failed' || x.status === 'ready')).toHaveLength(1);
    expect(gated).toMatchObject({ kind: 'gated', status: 401 });
    const folder = join(cacheDir, 'botlens-fixtures', 'tiny-random-bert');
    await expect(stat(join(folder, 'onnx/model.onnx'))).rejects.toThrow();
    expect((await listFiles(folder)).some((f) => f.endsWith('.part'))).toBe(false);
  });

  it('retries a 503 during a download', async () => {
    hub.addFault({
      match: (q) => q.url.endsWith('/onnx/model.onnx') && q.range === undefined,
      status: 503,
      times: 1,
    });
    const r = await pullModel(TINY, { hubUrl: hub.url, cacheDir, retryDelayMs: 1 });
    expect(r.files.find((f) => f.path === 'onnx/model.onnx')?.size).toBe(187_345);
  });

  it('stops with AbortedError', async () => {
    const ac = new AbortController();
    let seen = 0;
    const p = pullModel(TINY, {
      hubUrl: hub.url,
      cacheDir,
      signal: ac.signal,
      onProgress: (ev) => {
        if (ev.status === 'done' && ++seen === 2) ac.abort();
      },
    });
    await expect(p).rejects.toSatisfy((x: unknown) => AbortedError.isInstance(x));
  });
});
