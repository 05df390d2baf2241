import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxFileFor } from '../src/core/model-dtypes.js';
import { IntegrityError } from '../src/errors/integrity-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { ModelLoadError } from '../src/errors/model-load-error.js';
import { cachedModelFolder, resolveCacheDir } from '../src/hub/cache-dir.js';
import { CausalLmScorer } from '../src/runtime/causal-lm-scorer.js';
import { withDeviceFallback } from '../src/runtime/device.js';
import { acquireModel, loadedModels, loadTransformers } from '../src/runtime/load-model.js';
import { requiredModelFiles } from '../src/runtime/model-files.js';
import type { AcquireModelOptions } from '../src/runtime/model-location.js';
import { isLocalModelPath, resolveModelLocation } from '../src/runtime/model-location.js';
import { type LoadProgress, validateModelOptions } from '../src/runtime/model-options.js';
import { useFakeHub } from './helpers/fake-hub.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';

const TINY_BERT = join(HF_TINY, 'tiny-bert');
const TINY_GPT2 = join(HF_TINY, 'tiny-gpt2');
const DEFAULT = 'Xenova/e5-small-v2';

describe('model location and options (no model files needed)', () => {
  it('resolves hub ids, local folders, modelDir and the offline cache', () => {
    const cacheDir = '/tmp/botlens-cache-test';
    const online = resolveModelLocation({ defaultModel: DEFAULT, cacheDir });
    expect(online).toMatchObject({ location: DEFAULT, local: false, offline: false, revision: 'main' });

    const offline = resolveModelLocation({ defaultModel: DEFAULT, cacheDir, offline: true });
    expect(offline).toMatchObject({
      location: join(cacheDir, 'Xenova', 'e5-small-v2'),
      local: true,
      offline: true,
    });

    const pinned = resolveModelLocation({
      defaultModel: DEFAULT,
      cacheDir,
      offline: true,
      revision: 'abc123',
    });
    expect(pinned.location).toBe(join(cacheDir, 'Xenova', 'e5-small-v2', 'abc123'));

    const dir = resolveModelLocation({ defaultModel: DEFAULT, cacheDir, modelDir: '/models' });
    expect(dir).toMatchObject({
      location: join('/models', 'Xenova', 'e5-small-v2'),
      local: true,
      offline: true,
    });

    const abs = resolveModelLocation({ defaultModel: DEFAULT, model: '/srv/m/tiny', cacheDir });
    expect(abs).toMatchObject({ location: '/srv/m/tiny', local: true });
  });

  it('tells local paths from hub ids', () => {
    expect(isLocalModelPath('/abs/path')).toBe(true);
    expect(isLocalModelPath('./rel')).toBe(true);
    expect(isLocalModelPath('~/models/x')).toBe(true);
    expect(isLocalModelPath('Xenova/gpt2')).toBe(false);
  });

  it('rejects bad options and malformed ids with InvalidOptionsError', () => {
    expect(() => validateModelOptions({ dtype: 'int8' as 'q8' })).toThrow(/dtype.*fp32, fp16, q8, q4/);
    expect(() => validateModelOptions({ threads: 0 })).toThrow(InvalidOptionsError);
    expect(() => validateModelOptions({ device: 'tpu' as 'cpu' })).toThrow(/device/);
    expect(() => resolveModelLocation({ defaultModel: DEFAULT, model: 'not a/valid/id' })).toThrow(
      InvalidOptionsError,
    );
  });

  it('uses ~/.cache/botlens or BOTLENS_CACHE_DIR, never node_modules', () => {
    const saved = process.env['BOTLENS_CACHE_DIR'];
    try {
      delete process.env['BOTLENS_CACHE_DIR'];
      expect(resolveCacheDir()).toMatch(/[/\\]\.cache[/\\]botlens$/);
      process.env['BOTLENS_CACHE_DIR'] = '/tmp/bl-env-cache';
      expect(resolveCacheDir()).toBe('/tmp/bl-env-cache');
      expect(cachedModelFolder('Xenova/gpt2')).toBe(join('/tmp/bl-env-cache', 'Xenova', 'gpt2'));
      expect(() => resolveCacheDir('/app/node_modules/.cache')).toThrow(/node_modules/);
    } finally {
      if (saved === undefined) delete process.env['BOTLENS_CACHE_DIR'];
      else process.env['BOTLENS_CACHE_DIR'] = saved;
    }
  });

  it('maps dtypes to the transformers.js file names', () => {
    expect(onnxFileFor('fp32')).toBe('onnx/model.onnx');
    expect(onnxFileFor('fp16')).toBe('onnx/model_fp16.onnx');
    expect(onnxFileFor('q8')).toBe('onnx/model_quantized.onnx');
    expect(onnxFileFor('q4')).toBe('onnx/model_q4.onnx');
    expect(requiredModelFiles('clip', 'q8')).toContain('onnx/vision_model_quantized.onnx');
  });

  it('falls back to the CPU with a warning when a device fails', async () => {
    const warnings: string[] = [];
    const tried: string[] = [];
    const r = await withDeviceFallback(
      'cuda',
      async (d) => {
        tried.push(d);
        if (d === 'cuda') throw new Error('no CUDA here');
        return 42;
      },
      (w) => warnings.push(w),
    );
    expect(r).toEqual({ value: 42, device: 'cpu' });
    expect(tried).toEqual(['cuda', 'cpu']);
    expect(warnings[0]).toMatch(/cuda.*no CUDA here.*CPU/);
  });
});

describeWithShared('model loading on the fixtures', () => {
  let tmp: string;
  let fetchCalls: string[];
  let savedFetch: unknown;
  const savedEndpoint = process.env['HF_ENDPOINT'];
  // A local hub on 127.0.0.1 that serves tiny-bert as test-org/tiny-bert (onnx files as LFS files with their
  // SHA-256); model loading reaches it through HF_ENDPOINT, as `botlens pull` does.
  const hub = useFakeHub({ folders: { 'test-org/tiny-bert': TINY_BERT } });
  const urls = () => hub.requests.map((r) => r.url);
  /** Loads test-org/tiny-bert from the local hub through the cache folder `cacheDir`, releases it, and returns the folder. */
  const loadFromHub = async (cacheDir: string, extra: Partial<AcquireModelOptions> = {}) => {
    const h = await acquireModel('feature-extraction', {
      model: 'test-org/tiny-bert',
      cacheDir,
      defaultModel: DEFAULT,
      ...extra,
    });
    await h.release();
    return cachedModelFolder('test-org/tiny-bert', { cacheDir });
  };

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'botlens-load-'));
    fetchCalls = [];
    process.env['HF_ENDPOINT'] = hub.url;
    // transformers.js must never fetch anything itself: count its fetches.
    const T = await loadTransformers();
    savedFetch = T.env.fetch;
    const realFetch = T.env.fetch;
    T.env.fetch = (input: string | URL, init?: unknown) => {
      fetchCalls.push(String(input));
      return realFetch(input, init);
    };
  });

  afterAll(async () => {
    const T = await loadTransformers();
    T.env.fetch = savedFetch as typeof T.env.fetch;
    if (savedEndpoint === undefined) delete process.env['HF_ENDPOINT'];
    else process.env['HF_ENDPOINT'] = savedEndpoint;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('shares one session between callers of the same model, dtype and task, and frees it on the last release', async () => {
    const a = await acquireModel('feature-extraction', { model: TINY_BERT, defaultModel: DEFAULT });
    const b = await acquireModel('feature-extraction', { model: TINY_BERT, defaultModel: DEFAULT });
    expect(b.model).toBe(a.model);
    expect(b.tokenizer).toBe(a.tokenizer);
    expect(b.key).toBe(a.key);
    expect(loadedModels().find((m) => m.key === a.key)?.refs).toBe(2);

    const q8 = await acquireModel('feature-extraction', {
      model: TINY_BERT,
      defaultModel: DEFAULT,
      dtype: 'q8',
    });
    expect(q8.model).not.toBe(a.model);

    await a.release();
    await a.release(); // idempotent per handle: must not free b's model
    expect(loadedModels().find((m) => m.key === a.key)?.refs).toBe(1);
    await b.release();
    expect(loadedModels().some((m) => m.key === a.key)).toBe(false);
    await q8.release();

    const c = await acquireModel('feature-extraction', { model: TINY_BERT, defaultModel: DEFAULT });
    expect(c.model).not.toBe(a.model); // reloaded after the last release
    await c.release();
  });

  it('shares one load between concurrent callers', async () => {
    const [a, b] = await Promise.all([
      acquireModel('sequence-classification', {
        model: join(HF_TINY, 'tiny-bert-nli'),
        defaultModel: DEFAULT,
      }),
      acquireModel('sequence-classification', {
        model: join(HF_TINY, 'tiny-bert-nli'),
        defaultModel: DEFAULT,
      }),
    ]);
    expect(a.model).toBe(b.model);
    await a.release();
    await b.release();
  });

  it('loads local folders without any network request, even with remote models allowed', async () => {
    const before = hub.requests.length + fetchCalls.length;
    const h = await acquireModel('causal-lm', { model: join(HF_TINY, 'tiny-gpt2'), defaultModel: DEFAULT });
    await h.release();
    const clip = await acquireModel('clip', { model: join(HF_TINY, 'tiny-clip'), defaultModel: DEFAULT });
    expect(clip.clipVision).toBeDefined();
    expect(clip.processor).toBeDefined();
    await clip.release();
    expect(hub.requests.length + fetchCalls.length).toBe(before);
  });

  it('offline: a hub id missing from the cache fails fast with ModelLoadError and no request', async () => {
    const before = hub.requests.length + fetchCalls.length;
    const started = performance.now();
    const err = await acquireModel('feature-extraction', {
      model: 'test-org/tiny-bert',
      offline: true,
      cacheDir: join(tmp, 'empty-cache'),
      defaultModel: DEFAULT,
    }).catch((e: unknown) => e);
    expect(ModelLoadError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/does not exist/);
    expect((err as Error).message).toMatch(/botlens pull test-org\/tiny-bert/);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(hub.requests.length + fetchCalls.length).toBe(before);
  });

  it('BOTLENS_OFFLINE=1 makes loading offline', async () => {
    process.env['BOTLENS_OFFLINE'] = '1';
    try {
      const before = hub.requests.length;
      const err = await acquireModel('feature-extraction', {
        model: 'test-org/tiny-bert',
        cacheDir: join(tmp, 'empty-cache-2'),
        defaultModel: DEFAULT,
      }).catch((e: unknown) => e);
      expect(ModelLoadError.isInstance(err)).toBe(true);
      expect(hub.requests.length).toBe(before);
    } finally {
      delete process.env['BOTLENS_OFFLINE'];
    }
  });

  it("passes the cache folder per call and leaves transformers.js's global env as it found it", async () => {
    const T = await loadTransformers();
    const globalCache = T.env.cacheDir;
    const globalLocal = T.env.allowLocalModels;
    const cacheDir = join(tmp, 'per-call-cache');
    const folder = await loadFromHub(cacheDir);
    expect(existsSync(join(folder, 'onnx', 'model.onnx'))).toBe(true);
    expect(T.env.cacheDir).toBe(globalCache);
    expect(T.env.cacheDir).not.toBe(cacheDir);
    // loadTransformers used to point the global cache at the botlens folder; it no longer writes env at all.
    expect(T.env.cacheDir).not.toBe(resolveCacheDir());
    expect(T.env.allowLocalModels).toBe(globalLocal);
  });

  it('online: downloads a hub model into the botlens cache, then loads it offline from there without requests', async () => {
    const cacheDir = join(tmp, 'cache');
    const events: LoadProgress[] = [];
    const h = await acquireModel('feature-extraction', {
      model: 'test-org/tiny-bert',
      cacheDir,
      defaultModel: DEFAULT,
      onProgress: (p) => events.push(p),
    });
    await h.release();
    expect(urls().some((r) => r.endsWith('/onnx/model.onnx'))).toBe(true);
    const folder = cachedModelFolder('test-org/tiny-bert', { cacheDir });
    for (const f of requiredModelFiles('feature-extraction', 'fp32'))
      expect(existsSync(join(folder, f))).toBe(true);
    expect(events.map((e) => e.status)).toContain('initiate');
    expect(events.some((e) => e.status === 'done' && e.file === 'onnx/model.onnx')).toBe(true);
    expect(events[events.length - 1]).toEqual({ status: 'ready', model: 'test-org/tiny-bert' });

    const before = hub.requests.length + fetchCalls.length;
    const off = await acquireModel('feature-extraction', {
      model: 'test-org/tiny-bert',
      cacheDir,
      offline: true,
      defaultModel: DEFAULT,
    });
    expect(off.location).toBe(folder);
    await off.release();
    expect(hub.requests.length + fetchCalls.length).toBe(before);
  });

  it('online: the download is checked against the SHA-256 the hub lists, and only the graph the task runs is fetched', async () => {
    const folder = await loadFromHub(join(tmp, 'verified'));
    const manifest = JSON.parse(readFileSync(join(folder, '.botlens-files.json'), 'utf8')) as {
      files: { path: string; sha256?: string }[];
    };
    const onnx = manifest.files.find((f) => f.path === 'onnx/model.onnx');
    expect(onnx?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // fp32 feature extraction runs onnx/model.onnx: the q8 and q4 graphs the repo also has are not fetched.
    expect(readdirSync(join(folder, 'onnx'))).toEqual(['model.onnx']);
    expect(urls().some((u) => u.includes('model_quantized') || u.includes('model_q4'))).toBe(false);
    expect(fetchCalls).toEqual([]);

    // A second load of the same model, dtype and task finds the verified folder: no request at all.
    const before = hub.requests.length;
    await loadFromHub(join(tmp, 'verified'));
    expect(hub.requests.length).toBe(before);

    // Another dtype is pulled beside it; the manifest keeps both, so both stay checked.
    await loadFromHub(join(tmp, 'verified'), { dtype: 'q8' });
    const both = JSON.parse(readFileSync(join(folder, '.botlens-files.json'), 'utf8')) as {
      files: { path: string }[];
    };
    expect(both.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['onnx/model.onnx', 'onnx/model_quantized.onnx', 'config.json']),
    );
  });

  it('online: a tampered download is refused with IntegrityError and leaves no model file behind', async () => {
    const cacheDir = join(tmp, 'tampered');
    hub.tamper('test-org/tiny-bert', 'onnx/model.onnx');
    const err = await acquireModel('feature-extraction', {
      model: 'test-org/tiny-bert',
      cacheDir,
      defaultModel: DEFAULT,
    }).catch((e: unknown) => e);
    expect(IntegrityError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/does not match the SHA-256/);
    const onnxDir = join(cachedModelFolder('test-org/tiny-bert', { cacheDir }), 'onnx');
    expect(existsSync(onnxDir) ? readdirSync(onnxDir) : []).toEqual([]);
    expect(fetchCalls).toEqual([]);
    // Once the hub serves the right bytes again, the same call loads.
    hub.reset();
    await loadFromHub(cacheDir);
  });

  it('online: a model the hub does not have fails with ModelLoadError that says so', async () => {
    const err = await acquireModel('feature-extraction', {
      model: 'test-org/no-such-model',
      cacheDir: join(tmp, 'missing'),
      defaultModel: DEFAULT,
    }).catch((e: unknown) => e);
    expect(ModelLoadError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/Could not download "test-org\/no-such-model"/);
    expect((err as Error).message).toMatch(/not found|does not exist|no access/i);
  });

  it('names the missing folder, the missing tokenizer_config.json and a missing dtype file', async () => {
    const missing = await acquireModel('feature-extraction', {
      model: join(tmp, 'no-such-model'),
      defaultModel: DEFAULT,
    }).catch((e: unknown) => e);
    expect(ModelLoadError.isInstance(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/does not exist/);

    const noTok = join(tmp, 'no-tokenizer-config');
    cpSync(TINY_BERT, noTok, { recursive: true });
    rmSync(join(noTok, 'tokenizer_config.json'));
    const e2 = await acquireModel('feature-extraction', { model: noTok, defaultModel: DEFAULT }).catch(
      (e: unknown) => e,
    );
    expect(ModelLoadError.isInstance(e2)).toBe(true);
    expect((e2 as ModelLoadError).file).toBe(join(noTok, 'tokenizer_config.json'));
    expect((e2 as Error).message).toMatch(/"tokenizer_config\.json" is missing/);

    const e3 = await acquireModel('feature-extraction', {
      model: TINY_BERT,
      dtype: 'fp16',
      defaultModel: DEFAULT,
    }).catch((e: unknown) => e);
    expect(ModelLoadError.isInstance(e3)).toBe(true);
    expect((e3 as ModelLoadError).file).toBe(join(TINY_BERT, 'onnx/model_fp16.onnx'));
    expect((e3 as Error).message).toMatch(/dtype "fp16"/);
  });

  it('loads a causal LM folder that holds onnx/decoder_model_merged* (older exports) instead of onnx/model*', async () => {
    const merged = join(tmp, 'gpt2-merged');
    cpSync(TINY_GPT2, merged, { recursive: true });
    renameSync(
      join(merged, 'onnx/model_quantized.onnx'),
      join(merged, 'onnx/decoder_model_merged_quantized.onnx'),
    );
    rmSync(join(merged, 'onnx/model.onnx'));
    const original = new CausalLmScorer({ model: TINY_GPT2, dtype: 'q8' });
    const renamed = new CausalLmScorer({ model: merged, dtype: 'q8' });
    try {
      const text = 'Hello there, how are you today?';
      const want = (await original.tokenLogprobs(text)).logprobs;
      expect(want.length).toBeGreaterThan(3);
      expect((await renamed.tokenLogprobs(text)).logprobs).toEqual(want);
    } finally {
      await original.dispose();
      await renamed.dispose();
    }
    // Neither name for the dtype's graph: the error names the file the dtype selects.
    const e = await acquireModel('causal-lm', { model: merged, defaultModel: DEFAULT }).catch(
      (err: unknown) => err,
    );
    expect(ModelLoadError.isInstance(e)).toBe(true);
    expect((e as ModelLoadError).file).toBe(join(merged, 'onnx/model.onnx'));
  });

  it('reports a corrupt ONNX file as ModelLoadError naming the file, and recovers once it is fixed', async () => {
    const bad = join(tmp, 'corrupt');
    cpSync(TINY_BERT, bad, { recursive: true });
    const onnx = join(bad, 'onnx', 'model.onnx');
    writeFileSync(onnx, Buffer.from('this is not an onnx protobuf at all, just garbage bytes'.repeat(20)));
    const err = await acquireModel('feature-extraction', { model: bad, defaultModel: DEFAULT }).catch(
      (e: unknown) => e,
    );
    expect(ModelLoadError.isInstance(err)).toBe(true);
    expect((err as ModelLoadError).file).toBe(onnx);
    expect((err as Error).message).toMatch(/corrupt/);
    expect(loadedModels().some((m) => m.key.includes(bad))).toBe(false);

    cpSync(join(TINY_BERT, 'onnx', 'model.onnx'), onnx);
    const ok = await acquireModel('feature-extraction', { model: bad, defaultModel: DEFAULT });
    await ok.release();
  });

  it('reports a corrupt config.json by name', async () => {
    const bad = join(tmp, 'bad-config');
    cpSync(TINY_BERT, bad, { recursive: true });
    writeFileSync(join(bad, 'config.json'), '{ not json');
    const err = await acquireModel('feature-extraction', { model: bad, defaultModel: DEFAULT }).catch(
      (e: unknown) => e,
    );
    expect(ModelLoadError.isInstance(err)).toBe(true);
    expect((err as ModelLoadError).file).toBe(join(bad, 'config.json'));
  });

  it('runs on the CPU when a GPU device is asked for but unavailable', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const h = await acquireModel('feature-extraction', {
        model: TINY_BERT,
        dtype: 'q4',
        device: 'cuda',
        defaultModel: DEFAULT,
      });
      if (h.device === 'cpu') {
        await new Promise((r) => setImmediate(r));
        expect(warnings.some((w) => /device "cuda" is not available/.test(w))).toBe(true);
      } else {
        expect(h.device).toBe('cuda'); // a machine with CUDA: no fallback needed
      }
      await h.release();
    } finally {
      process.off('warning', onWarning);
    }
  });
});
