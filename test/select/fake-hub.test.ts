import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHub, startFakeHub } from '../helpers/fake-hub.js';

// The fake hub must answer the way @huggingface/hub expects the real hub to: these tests drive the client
// library itself (no botlens code) against it.

let hub: FakeHub;
beforeAll(async () => {
  hub = await startFakeHub();
});
afterAll(async () => {
  await hub.close();
});

describe('fake hub, driven by @huggingface/hub', () => {
  it('answers modelInfo on /revision/HEAD with the repo id in `name`', async () => {
    const { modelInfo } = await import('@huggingface/hub');
    const info = await modelInfo({ name: 'Xenova/gpt2', hubUrl: hub.url, additionalFields: ['cardData'] });
    expect(info.name).toBe('Xenova/gpt2');
    expect(info.id).toMatch(/^[0-9a-f]{24}$/); // the database id, not the repo id
    expect(info.task).toBe('text-generation');
    expect(info.updatedAt.toISOString()).toBe('2025-03-05T16:58:11.000Z');
    expect(info.cardData).toMatchObject({ base_model: 'openai-community/gpt2' });
  });

  it('answers HEAD probes (fileExists) and ranged reads of safetensors headers', async () => {
    const { fileExists, parseSafetensorsMetadata } = await import('@huggingface/hub');
    expect(
      await fileExists({ repo: 'facebook/bart-large-mnli', path: 'model.safetensors', hubUrl: hub.url }),
    ).toBe(true);
    expect(await fileExists({ repo: 'facebook/bart-large-mnli', path: 'nope.bin', hubUrl: hub.url })).toBe(
      false,
    );
    const meta = await parseSafetensorsMetadata({
      repo: 'sentence-transformers/all-MiniLM-L6-v2',
      computeParametersCount: true,
      hubUrl: hub.url,
    });
    expect(meta.parameterCount).toEqual({ F32: 22_713_216 });
    await expect(
      parseSafetensorsMetadata({ repo: 'Xenova/gpt2', computeParametersCount: true, hubUrl: hub.url }),
    ).rejects.toThrow(/does not seem to contain safetensors weights/);
  });

  it('lists the tree recursively or one folder at a time, with LFS sizes', async () => {
    const { listFiles } = await import('@huggingface/hub');
    const all: string[] = [];
    for await (const f of listFiles({ repo: 'Xenova/e5-small-v2', recursive: true, hubUrl: hub.url }))
      all.push(f.path);
    expect(all).toContain('onnx/model_quantized.onnx');
    expect(all).toContain('onnx');
    const top: { path: string; type: string }[] = [];
    for await (const f of listFiles({ repo: 'Xenova/e5-small-v2', hubUrl: hub.url })) top.push(f);
    expect(top.some((f) => f.path === 'onnx' && f.type === 'directory')).toBe(true);
    expect(top.some((f) => f.path.startsWith('onnx/'))).toBe(false);
  });

  it('downloads whole files and byte ranges (206, Content-Range, ETag)', async () => {
    const { downloadFile } = await import('@huggingface/hub');
    const blob = await downloadFile({
      repo: 'botlens-fixtures/tiny-random-bert',
      path: 'vocab.txt',
      hubUrl: hub.url,
    });
    expect(await blob?.text()).toBe('[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\n');
    const res = await fetch(`${hub.url}/botlens-fixtures/tiny-random-bert/resolve/main/onnx/model.onnx`, {
      headers: { Range: 'bytes=10-19' },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 10-19/187345');
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect((await res.arrayBuffer()).byteLength).toBe(10);
  });

  it('guards gated files: 401 without a token, 403 with one not granted', async () => {
    const url = `${hub.url}/meta-llama/Llama-3.2-1B/resolve/main/config.json`;
    const anon = await fetch(url);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('x-error-code')).toBe('GatedRepo');
    const denied = await fetch(url, { headers: { Authorization: 'Bearer hf_not_granted' } });
    expect(denied.status).toBe(403);
    // @huggingface/hub 2.17 parses the (empty) body of a failed HEAD as JSON: the probe throws a SyntaxError
    // instead of its API error. botlens names the safetensors file to avoid that probe.
    const { fileExists } = await import('@huggingface/hub');
    await expect(
      fileExists({ repo: 'meta-llama/Llama-3.2-1B', path: 'model.safetensors', hubUrl: hub.url }),
    ).rejects.toThrow(SyntaxError);
  });
});
