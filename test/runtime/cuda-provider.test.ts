/**
 * The CUDA provider check looks at the onnxruntime-node that transformers.js would load (resolved from
 * transformers.js's files, so a copy nested under it wins over one beside the app) and at the `bin/napi-vN` folder
 * this Node.js can load (the highest N it supports), on real package folders.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingCudaProvider, onnxBindingFolder } from '../../src/runtime/cuda-provider.js';

let tmp: string;

/** Writes a package (name, main file) at `dir`. */
async function writePackage(dir: string, name: string, main: string): Promise<void> {
  await mkdir(join(dir, main, '..'), { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, main }));
  await writeFile(join(dir, main), 'module.exports = {};\n');
}

/** Writes an onnxruntime-node binding under `bin/<napi>/linux/x64`, with the CUDA provider library or not. */
async function writeBinding(ort: string, napi: string, cuda: boolean): Promise<string> {
  const folder = join(ort, 'bin', napi, 'linux', 'x64');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'onnxruntime_binding.node'), '');
  if (cuda) await writeFile(join(folder, 'libonnxruntime_providers_shared.so'), '');
  return folder;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'botlens-cuda-provider-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the onnxruntime-node binding transformers.js would load', () => {
  /** An app whose transformers.js has its own onnxruntime-node (or not), beside a CPU build at the top. */
  async function app(name: string, nestedGpu: boolean) {
    const modules = join(tmp, name, 'node_modules');
    const transformers = join(modules, '@huggingface', 'transformers');
    await writePackage(transformers, '@huggingface/transformers', 'dist/transformers.node.cjs');
    const beside = join(modules, 'onnxruntime-node');
    await writePackage(beside, 'onnxruntime-node', 'dist/index.js');
    const cpu = await writeBinding(beside, 'napi-v6', false);
    let gpu: string | undefined;
    if (nestedGpu) {
      const nested = join(transformers, 'node_modules', 'onnxruntime-node');
      await writePackage(nested, 'onnxruntime-node', 'dist/index.js');
      gpu = await writeBinding(nested, 'napi-v6', true);
    }
    return {
      lookup: { from: join(tmp, name, 'index.js'), napi: 9, platform: 'linux', arch: 'x64' },
      cpu,
      gpu,
    };
  }

  it('is the copy nested under transformers.js, not the one beside the app', async () => {
    const nested = await app('nested', true);
    expect(onnxBindingFolder(nested.lookup)).toBe(nested.gpu);
    expect(missingCudaProvider('cuda', nested.lookup)).toBeUndefined();
    // Without a nested copy, transformers.js loads the one beside it: the CPU build.
    const flat = await app('flat', false);
    expect(onnxBindingFolder(flat.lookup)).toBe(flat.cpu);
    expect(missingCudaProvider('cuda', flat.lookup)).toBe(
      `the installed onnxruntime-node is the CPU build: no libonnxruntime_providers_shared.so in ${flat.cpu}`,
    );
  });

  it('is under the highest napi-vN this Node.js supports, compared as numbers', async () => {
    const app = join(tmp, 'napi');
    const modules = join(app, 'node_modules');
    await writePackage(
      join(modules, '@huggingface', 'transformers'),
      '@huggingface/transformers',
      'dist/t.cjs',
    );
    const ort = join(modules, 'onnxruntime-node');
    await writePackage(ort, 'onnxruntime-node', 'dist/index.js');
    const v6 = await writeBinding(ort, 'napi-v6', false);
    const v10 = await writeBinding(ort, 'napi-v10', true);
    await writeBinding(ort, 'napi-v99', true);
    const from = join(app, 'index.js');
    // "napi-v6" sorts after "napi-v10" and "napi-v99" as text; v99 needs a Node.js that does not exist yet.
    expect(onnxBindingFolder({ from, napi: 10, platform: 'linux', arch: 'x64' })).toBe(v10);
    expect(onnxBindingFolder({ from, napi: 9, platform: 'linux', arch: 'x64' })).toBe(v6);
    expect(missingCudaProvider('gpu', { from, napi: 9, platform: 'linux', arch: 'x64' })).toMatch(
      /CPU build/,
    );
    expect(onnxBindingFolder({ from, napi: 10, platform: 'linux', arch: 'arm64' })).toBeUndefined();
    expect(missingCudaProvider('cpu', { from, napi: 9, platform: 'linux', arch: 'x64' })).toBeUndefined();
  });

  it('is not looked for when transformers.js is not installed', async () => {
    const app = join(tmp, 'bare');
    await mkdir(app);
    expect(onnxBindingFolder({ from: join(app, 'index.js') })).toBeUndefined();
    expect(missingCudaProvider('cuda', { from: join(app, 'index.js'), platform: 'linux' })).toBeUndefined();
  });
});
