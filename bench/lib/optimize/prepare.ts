/**
 * Part 0 of bench/optimize.ts: the model folders (the bench encoder, optimized with today's and the previous
 * default passes, each quantized to q8, and the stand-in graph) and the texts, with the line that reports what
 * `botlens optimize` did.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { optimizeModelFolder } from '../../../src/quant/optimize/optimize-folder.js';
import { quantize } from '../../../src/quant/quantize.js';
import { writeStandInEncoder } from '../stand-in-encoder.js';
import type { BenchModels } from './context.js';

/**
 * Builds the model folders in `work` from the encoder at `model` and prints what the default passes did.
 *
 * @returns the folders and the encoder's `config.json`
 */
export async function prepareModels(
  model: string,
  work: string,
): Promise<{ models: BenchModels; config: Record<string, number> }> {
  const original = join(work, 'original');
  cpSync(model, original, { recursive: true });
  const optimized = join(work, 'optimized');
  const withSkipLn = join(work, 'optimized-skip-ln');
  const t0 = performance.now();
  const res = await optimizeModelFolder(original, { out: optimized });
  const optimizeSeconds = (performance.now() - t0) / 1000;
  await optimizeModelFolder(original, {
    out: withSkipLn,
    passes: ['attention', 'skip-layer-norm', 'bias-gelu'],
  });
  for (const dir of [original, optimized, withSkipLn]) await quantize(dir, { bits: 8 });
  const config = JSON.parse(readFileSync(join(original, 'config.json'), 'utf8')) as Record<string, number>;
  const standIn = join(work, 'stand-in');
  await writeStandInEncoder(original, standIn, config);
  const f = res.files[0];
  console.log(
    `optimize (default passes ${f?.passes.join(', ')}): ${f?.report?.attention} attention, ${f?.report?.residualLayerNorm} residual Sum + LayerNorm, ${f?.report?.gelu} Gelu; nodes ${f?.report?.nodesBefore} -> ${f?.report?.nodesAfter}; max output difference ${f?.maxAbsDiff?.toExponential(2)}; ${optimizeSeconds.toFixed(1)} s`,
  );
  return { models: { original, optimized, withSkipLn, standIn }, config };
}

/**
 * `n` ConvAI messages of 15-25 words when `shared` has the data, else generated chat-like sentences.
 *
 * @param shared - the ../shared folder
 * @param n - how many texts
 */
export function benchTexts(shared: string, n: number): string[] {
  const pool: string[] = [];
  const data = join(shared, 'data/convai-bots/train.jsonl');
  if (existsSync(data)) {
    for (const line of readFileSync(data, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      for (const m of (JSON.parse(line) as { messages: { text: string }[] }).messages) {
        const words = m.text.split(/\s+/).length;
        if (words >= 15 && words <= 25) pool.push(m.text);
      }
    }
  }
  const words = 'i love to go hiking with my dogs what do you do for fun hello how are you today'.split(' ');
  for (let i = 0; pool.length < n; i++) {
    pool.push(
      Array.from({ length: 18 + (i % 8) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' '),
    );
  }
  return pool.slice(0, n);
}
