import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { type CheckModelOptions, checkModel } from '../../src/select/check-model.js';
import { fetchModelFacts } from '../../src/select/fetch-model-facts.js';
import type { ModelCheck, ModelCheckReport } from '../../src/select/types.js';
import { MODEL_ZOO, type ZooEntry } from '../../src/zoo/model-zoo.js';
import { GRANTED_TOKEN, useFakeHub } from '../helpers/fake-hub.js';

// The fixtures' last commits are from 2023-2025; judge activity as of this date so results do not age.
const NOW = new Date('2026-11-01T00:00:00Z');

const hub = useFakeHub({ clearEnv: ['HF_TOKEN', 'HF_ENDPOINT'] });

/** `checkModel` against the fake hub, judged as of {@link NOW}. */
function checkAtNow(
  id: string,
  task: CheckModelOptions['task'],
  memoryBudget: CheckModelOptions['memoryBudget'],
  more: Omit<CheckModelOptions, 'task' | 'memoryBudget' | 'hubUrl' | 'now'> = {},
): Promise<ModelCheckReport> {
  return checkModel(id, { task, memoryBudget, ...more, hubUrl: hub.url, now: NOW });
}

function check(r: ModelCheckReport, name: ModelCheck['name']): ModelCheck {
  const c = r.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no ${name} check`);
  return c;
}

describe('checkModel on the model zoo', () => {
  const entries = Object.values(MODEL_ZOO) as ZooEntry[];
  for (const entry of entries) {
    for (const task of entry.detectors) {
      it(`${entry.id} passes for the ${task} detector (fp32 and every catalogue dtype, 5 GB)`, async () => {
        // 5 GB: the calibrated estimate puts Qwen2.5-0.5B in fp32 at 3.3 GB (83% of 4 GB, a warning).
        const r = await checkAtNow(entry.id, task, '5GB');
        expect(r.checks.filter((c) => c.status !== 'pass').map((c) => `${c.name}: ${c.message}`)).toEqual([]);
        expect(r.verdict).toBe('pass');
        expect(r.id).toBe(entry.id);
        expect(check(r, 'license').value).toBe(entry.license);
        for (const dtype of entry.dtypes) {
          const d = await checkAtNow(entry.id, task, '5GB', { dtype });
          expect(check(d, 'task').status).toBe('pass');
        }
      });
    }
  }

  it('reads the zoo entries as the catalogue says: parameters within 3%, and the languages', async () => {
    for (const entry of entries) {
      const r = await checkAtNow(entry.id, entry.detectors[0]!, '4GB');
      const m = /(\d+(?:\.\d+)?)([MB]) parameters/.exec(check(r, 'memory').message);
      expect(m, check(r, 'memory').message).not.toBeNull();
      const params = Number(m![1]) * (m![2] === 'B' ? 1e9 : 1e6);
      expect(Math.abs(params - entry.parameters) / entry.parameters).toBeLessThan(0.03);
    }
  });
});

describe('checkModel on the issue fixtures', () => {
  it('NLI checkpoint without ONNX: task fails, memory comes from the safetensors headers read with Range requests', async () => {
    const r = await checkAtNow('facebook/bart-large-mnli', 'nli', '4GB');
    expect(r.verdict).toBe('fail');
    expect(check(r, 'task').status).toBe('fail');
    expect(check(r, 'task').message).toMatch(/no ONNX weights/);
    const mem = check(r, 'memory');
    expect(mem.message).toMatch(/407M parameters from the safetensors headers, F32/);
    // the header was read the way @huggingface/hub reads it: first 8 bytes, then the JSON header
    const ranges = hub.requests
      .filter((q) => q.url.endsWith('/model.safetensors') && q.range)
      .map((q) => q.range);
    expect(ranges).toContain('bytes=0-7');
    expect(ranges.some((x) => x !== undefined && /^bytes=8-\d+$/.test(x))).toBe(true);
    // the size probe first (206 with Content-Range and ETag); the file is named, so no HEAD probe is needed
    expect(ranges[0]).toBe('bytes=0-0');
    expect(hub.requests.some((q) => q.method === 'HEAD')).toBe(false);
    expect(hub.requests.some((q) => q.url.includes('/revision/HEAD?'))).toBe(true);
    expect(check(r, 'license').value).toBe('mit');
    expect(check(r, 'security').status).toBe('pass');
  });

  it('embedding model with sentence-transformers ONNX names: fp32 passes, q8 fails naming the file transformers.js wants', async () => {
    const id = 'sentence-transformers/all-MiniLM-L6-v2';
    const fp32 = await checkAtNow(id, 'embedding', '1GB', { languages: ['en'] });
    expect(check(fp32, 'task').status).toBe('pass');
    expect(check(fp32, 'language').status).toBe('pass');
    expect(check(fp32, 'memory').message).toMatch(/22.7M parameters from the safetensors headers/);
    const q8 = await checkAtNow(id, 'embedding', '1GB', { dtype: 'q8' });
    expect(check(q8, 'task').status).toBe('fail');
    expect(check(q8, 'task').message).toContain('onnx/model_quantized.onnx');
  });

  it('pickle-only model: security fails, or warns with allowPickle; the LABEL_n config fails NLI', async () => {
    const id = 'textattack/bert-base-uncased-MNLI';
    const r = await checkAtNow(id, 'nli', '4GB');
    expect(check(r, 'security').status).toBe('fail');
    expect(check(r, 'security').message).toMatch(/pickle only/);
    expect(check(r, 'task').message).toMatch(/LABEL_0/);
    expect(check(r, 'license').status).toBe('fail');
    expect(check(r, 'activity').status).toBe('warn');
    const allowed = await checkAtNow(id, 'nli', '4GB', { allowPickle: true });
    expect(check(allowed, 'security').status).toBe('warn');
  });

  it('gated model: model info is public, files are not; memory falls back to the hub summary and problems say why', async () => {
    const r = await checkAtNow('meta-llama/Llama-3.2-1B', 'perplexity', '8GB', { dtype: 'q4' });
    expect(check(r, 'security').status).toBe('warn');
    expect(check(r, 'security').message).toMatch(/gated/);
    expect(check(r, 'license')).toMatchObject({ status: 'warn', value: 'llama3.2' });
    expect(check(r, 'memory').message).toMatch(/1.24B parameters from the hub summary, BF16/);
    expect(r.problems.map((p) => p.source).sort()).toEqual(['config', 'safetensors']);
    for (const p of r.problems) expect(p.message).toMatch(/is a gated repo \(HTTP 401/);
    const resolves = hub.requests.filter((q) => q.url.includes('/resolve/') || q.url.includes('/raw/'));
    expect(resolves.length).toBeGreaterThan(0);
    expect(resolves.every((q) => q.authorization === undefined)).toBe(true);
  });

  it('gated model with a granted token: the headers and config.json are read', async () => {
    const r = await checkModel('meta-llama/Llama-3.2-1B', {
      task: 'perplexity',
      memoryBudget: '8GB',
      hubUrl: hub.url,
      accessToken: GRANTED_TOKEN,
      now: NOW,
    });
    expect(r.problems).toEqual([]);
    const mem = check(r, 'memory');
    expect(mem.message).toMatch(/1.24B parameters from the safetensors headers, BF16/);
    // 16 layers x 8 KV heads x 64 x 512 tokens x 2 (K and V) x 4 bytes = 33.6 MB: the GQA heads, not the 32 query heads
    expect(mem.message).toMatch(/KV cache 33.6 MB/);
  });

  it('non-commercial multilingual embedding model: license warns with its name; languages pass', async () => {
    const r = await checkAtNow('jinaai/jina-embeddings-v3', 'embedding', '4GB', {
      languages: ['de', 'fr', 'pt-BR'],
    });
    expect(check(r, 'license')).toMatchObject({ status: 'warn', value: 'cc-by-nc-4.0' });
    expect(check(r, 'license').message).toMatch(/non-commercial/);
    expect(check(r, 'language').status).toBe('pass');
    expect(check(r, 'task').status).toBe('pass');
    expect(r.verdict).toBe('warn');
    const strict = await checkAtNow('jinaai/jina-embeddings-v3', 'embedding', '4GB', {
      allowLicenses: ['cc-by-nc-4.0'],
    });
    expect(check(strict, 'license').status).toBe('pass');
  });

  it('fails a language the card does not list', async () => {
    const r = await checkAtNow('meta-llama/Llama-3.2-1B', 'perplexity', '8GB', { languages: ['ja'] });
    expect(check(r, 'language').status).toBe('fail');
  });

  it('reads license and languages from the base model when the export card has none', async () => {
    const r = await checkAtNow('Xenova/e5-small-v2', 'embedding', '1GB', { languages: ['en'] });
    expect(check(r, 'license').message).toContain('intfloat/e5-small-v2');
    expect(check(r, 'language').status).toBe('pass');
    expect(hub.requests.some((q) => q.url.startsWith('/api/models/intfloat/e5-small-v2/revision/HEAD'))).toBe(
      true,
    );
  });

  it('asks only for the fields it needs (expand), as the hub API expects', async () => {
    const facts = await fetchModelFacts('Xenova/gpt2', { hubUrl: hub.url });
    expect(facts.pipelineTag).toBe('text-generation');
    expect(facts.files?.find((f) => f.path === 'onnx/decoder_model_merged.onnx')?.size).toBe(498_051_329);
    const info = hub.requests.find((q) => q.url.startsWith('/api/models/Xenova/gpt2/revision/HEAD'));
    for (const field of [
      'cardData',
      'tags',
      'pipeline_tag',
      'gated',
      'downloads',
      'lastModified',
      'siblings',
    ]) {
      expect(info?.url).toContain(`expand=${field}`);
    }
    expect(hub.requests.some((q) => q.url === '/api/models/Xenova/gpt2?securityStatus=true')).toBe(true);
    // no safetensors at the root: no pointless Range requests
    expect(hub.requests.some((q) => q.url.includes('model.safetensors'))).toBe(false);
  });

  it('rejects bad options before any request', async () => {
    await expect(
      checkModel('Xenova/gpt2', { task: 'perplexity', memoryBudget: 'big', hubUrl: hub.url }),
    ).rejects.toThrow(InvalidOptionsError);
    await expect(
      checkModel('not an id', { task: 'nli', memoryBudget: '1GB', hubUrl: hub.url }),
    ).rejects.toThrow(/owner\/name/);
    await expect(
      checkModel('Xenova/gpt2', {
        task: 'perplexity',
        memoryBudget: '1GB',
        hubUrl: hub.url,
        accessToken: 'abc',
      }),
    ).rejects.toThrow(/hf_/);
    await expect(
      checkModel('Xenova/gpt2', { task: 'perplexity', memoryBudget: '1GB', hubUrl: 'ftp://x' }),
    ).rejects.toThrow(/hubUrl/);
    expect(hub.requests).toEqual([]);
  });

  it('stops with AbortedError when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      checkModel('Xenova/gpt2', {
        task: 'perplexity',
        memoryBudget: '1GB',
        hubUrl: hub.url,
        signal: ac.signal,
      }),
    ).rejects.toSatisfy((e: unknown) => AbortedError.isInstance(e));
  });
});
