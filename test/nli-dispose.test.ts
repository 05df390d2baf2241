import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import type { Transcript } from '../src/core/transcript.js';
import { NliZeroShotDetector } from '../src/detectors/nli/nli-zero-shot-detector.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';

const chatty = (i: number): Transcript => ({
  target: 'x',
  messages: Array.from({ length: 12 }, (_, k) => ({
    speaker: k % 2 ? 'x' : 'u',
    text: `message ${i}-${k}: the quick brown fox jumps over the lazy dog number ${k}`,
  })),
});

describeWithShared('NliZeroShotDetector.dispose() during in-flight work', () => {
  afterEach(() => vi.restoreAllMocks());

  it('rejects the work with AbortedError and prints nothing to stderr', async () => {
    const printed: string[] = [];
    const keep = (...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
      return true;
    };
    vi.spyOn(process.stderr, 'write').mockImplementation(keep as typeof process.stderr.write);
    vi.spyOn(console, 'error').mockImplementation(keep);
    vi.spyOn(console, 'warn').mockImplementation(keep);

    const nli = new NliZeroShotDetector({
      model: join(HF_TINY, 'tiny-bert-nli'),
      batchSize: 1,
      maxLength: 24,
    });
    await nli.detect(chatty(0)); // the model is loaded; the next call goes straight to inference
    const work = nli.detectBatch(Array.from({ length: 40 }, (_, i) => chatty(i)));
    const outcome = work.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 5));
    await nli.dispose();
    const err = await outcome;
    expect(AbortedError.isInstance(err)).toBe(true);
    // Work started after dispose fails the same way, without reloading the model.
    await expect(nli.detect(chatty(1))).rejects.toSatisfy((e: unknown) => AbortedError.isInstance(e));
    await new Promise((r) => setTimeout(r, 50));
    expect(printed).toEqual([]);
  }, 60_000);
});
