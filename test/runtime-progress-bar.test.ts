import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLoadProgressBar } from '../src/cli/progress-bar.js';
import { acquireModel } from '../src/runtime/load-model.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { stream, text: () => text };
}

describe('createLoadProgressBar', () => {
  it('draws bytes over all files and finishes at 100% on ready', () => {
    const out = capture();
    const bar = createLoadProgressBar({ stream: out.stream, noTTYOutput: true });
    bar.onProgress({ status: 'initiate', file: 'config.json', model: 'm/x' });
    bar.onProgress({
      status: 'progress',
      file: 'onnx/model.onnx',
      loaded: 1_000_000,
      total: 4_000_000,
      model: 'm/x',
    });
    bar.onProgress({
      status: 'progress',
      file: 'tokenizer.json',
      loaded: 500_000,
      total: 1_000_000,
      model: 'm/x',
    });
    bar.onProgress({ status: 'done', file: 'onnx/model.onnx', model: 'm/x' });
    bar.onProgress({ status: 'ready', model: 'm/x' });
    bar.stop(); // idempotent
    expect(out.text()).toMatch(/m\/x/);
    expect(out.text()).toMatch(/100%/);
    expect(out.text()).toMatch(/5\.0 MB/);
  });

  it('draws nothing when no sizes are known', () => {
    const out = capture();
    const bar = createLoadProgressBar({ stream: out.stream, noTTYOutput: true });
    bar.onProgress({ status: 'initiate', file: 'config.json', model: 'm/x' });
    bar.onProgress({ status: 'ready', model: 'm/x' });
    expect(out.text()).toBe('');
  });
});

describeWithShared('progress bar on a real load', () => {
  it('renders the events of loading a model folder', async () => {
    const out = capture();
    const bar = createLoadProgressBar({ stream: out.stream, noTTYOutput: true });
    const h = await acquireModel('feature-extraction', {
      model: join(HF_TINY, 'tiny-bert'),
      dtype: 'q8',
      defaultModel: 'x/y',
      onProgress: bar.onProgress,
    });
    await h.release();
    bar.stop();
    expect(out.text()).toMatch(/tiny-bert.*100%/s);
  });
});
