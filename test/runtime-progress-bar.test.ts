import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLoadProgressBar, type LoadProgressBar } from '../src/cli/progress-bar.js';
import { acquireModel } from '../src/runtime/load-model.js';
import type { LoadProgress } from '../src/runtime/model-options.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';

function capture(columns?: number) {
  const stream = Object.assign(new PassThrough(), columns === undefined ? {} : { columns });
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
    expect(out.text()).toMatch(/5\.00\/5\.00 MB/);
  });

  it('draws nothing when no sizes are known', () => {
    const out = capture();
    const bar = createLoadProgressBar({ stream: out.stream, noTTYOutput: true });
    bar.onProgress({ status: 'initiate', file: 'config.json', model: 'm/x' });
    bar.onProgress({ status: 'ready', model: 'm/x' });
    expect(out.text()).toBe('');
  });
});

/** The events of loading `model`: one file of `bytes`, then `ready` when `ready` is true. */
function load(bar: LoadProgressBar, model: string, bytes: number, ready = true): void {
  bar.onProgress({ status: 'initiate', file: 'onnx/model.onnx', model });
  bar.onProgress({ status: 'progress', file: 'onnx/model.onnx', loaded: bytes, total: bytes, model });
  bar.onProgress({ status: 'done', file: 'onnx/model.onnx', model });
  if (ready) bar.onProgress({ status: 'ready', model });
}

/** The frames drawn (one a line without a terminal), the last one of each bar with its 100%. */
function frames(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('createLoadProgressBar with several models', () => {
  it('models loading together share one bar, which finishes when the last one is ready', () => {
    // Without a terminal the bar redraws on a timer (and when it stops): fake time lets the test see each frame.
    vi.useFakeTimers();
    try {
      const out = capture();
      const bar = createLoadProgressBar({ stream: out.stream, noTTYOutput: true });
      load(bar, '/models/tiny-bert-nli', 2_000_000, false);
      bar.onProgress({ status: 'initiate', file: 'onnx/model.onnx', model: '/models/tiny-gpt2' });
      const gpt2 = {
        status: 'progress',
        file: 'onnx/model.onnx',
        total: 1_000_000,
        model: '/models/tiny-gpt2',
      };
      bar.onProgress({ ...gpt2, status: 'progress', loaded: 0 });
      // The first model is ready: the bar goes on (it used to stop here, and the second model got no bar).
      bar.onProgress({ status: 'ready', model: '/models/tiny-bert-nli' });
      bar.onProgress({ ...gpt2, status: 'progress', loaded: 500_000 });
      vi.advanceTimersByTime(5_000);
      expect(frames(out.text()).at(-1)).toMatch(
        /^tiny-bert-nli \+ tiny-gpt2 \[.*\] 83% \| 2\.50\/3\.00 MB \| tiny-gpt2\/onnx\/model\.onnx$/,
      );
      bar.onProgress({ status: 'done', file: 'onnx/model.onnx', model: '/models/tiny-gpt2' });
      bar.onProgress({ status: 'ready', model: '/models/tiny-gpt2' });
      const drawn = out.text();
      expect(frames(drawn).at(-1)).toMatch(
        /^tiny-bert-nli \+ tiny-gpt2 \[.*\] 100% \| 3\.00\/3\.00 MB \| tiny-gpt2 ready$/,
      );
      // Finished: nothing more is drawn.
      vi.advanceTimersByTime(5_000);
      bar.stop();
      expect(out.text()).toBe(drawn);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a model that loads after the bar finished gets a bar of its own', () => {
    const out = capture();
    const bar = createLoadProgressBar({ stream: out.stream, noTTYOutput: true });
    load(bar, '/models/tiny-bert-nli', 2_000_000);
    // An already loaded model reports `ready` alone: nothing to draw.
    bar.onProgress({ status: 'ready', model: '/models/tiny-bert' });
    load(bar, 'Xenova/gpt2', 1_000_000);
    bar.stop();
    const last = frames(out.text()).filter((f) => / 100% .* ready$/.test(f));
    expect(last).toEqual([
      expect.stringMatching(/^tiny-bert-nli \[.*\] 100% \| 2\.00\/2\.00 MB \| ready$/),
      expect.stringMatching(/^Xenova\/gpt2 \[.*\] 100% \| 1\.00\/1\.00 MB \| ready$/),
    ]);
    expect(out.text()).not.toMatch(/tiny-bert[^-]/);
  });

  it('fits the width of the stream, the numbers whole', () => {
    const out = capture(40);
    const bar = createLoadProgressBar({ stream: out.stream, noTTYOutput: true });
    load(bar, '/work/shared/fixtures/hf-tiny/a-model-folder-with-a-long-name', 2_000_000);
    bar.stop();
    for (const f of frames(out.text())) {
      expect(f.length).toBeLessThanOrEqual(39);
      expect(f).toMatch(/\d+% \| [\d.]+\/2\.00 MB$/);
    }
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

  it('a load that fails reports `failed` (never `ready`), and the bar ends there, saying so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'botlens-failed-load-'));
    try {
      const broken = join(dir, 'broken-bert');
      await cp(join(HF_TINY, 'tiny-bert'), broken, { recursive: true });
      await writeFile(join(broken, 'onnx', 'model_quantized.onnx'), 'not an onnx file');
      const out = capture();
      const bar = createLoadProgressBar({ stream: out.stream, noTTYOutput: true });
      const events: LoadProgress['status'][] = [];
      const load = acquireModel('feature-extraction', {
        model: broken,
        dtype: 'q8',
        defaultModel: 'x/y',
        onProgress: (p) => {
          events.push(p.status);
          bar.onProgress(p);
        },
      });
      await expect(load).rejects.toThrow(/could not load/);
      expect(events.at(-1)).toBe('failed');
      expect(events).not.toContain('ready');
      // The bar ended before the error reached the caller: stopping it draws nothing more.
      const drawn = out.text();
      expect(frames(drawn).at(-1)).toMatch(/^broken-bert \[.*\] \d+% \| .* \| failed$/);
      bar.stop();
      expect(out.text()).toBe(drawn);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
