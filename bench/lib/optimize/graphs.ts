/**
 * Part 1 of bench/optimize.ts: texts/s of TransformersEmbedder on each graph (original, previous and default
 * passes, fp32 and q8), by wall time with default threads and by CPU time on one thread, with the embeddings'
 * worst cosine to the original fp32 ones, and the embedder's own cost (timed on the stand-in graph).
 */
import { TransformersEmbedder } from '../../../src/runtime/transformers-embedder.js';
import { median } from '../child-runs.js';
import { printMarkdownTable } from '../markdown-table.js';
import type { OptimizeBench } from './context.js';

/** What later parts read from part 1. */
export interface GraphFigures {
  /** CPU milliseconds TransformersEmbedder itself takes per run over the texts (the stand-in graph's). */
  ownMs: number;
  /** Texts/s per core of the optimized q8 graph over the original fp32 one, through the embedder. */
  q8Ratio: number;
}

/** Texts/s per round of each embedder, in interleaved rounds: wall time, or process CPU time; median of each. */
async function embedRates(
  list: TransformersEmbedder[],
  input: string[],
  rounds: number,
  mode: 'wall' | 'cpu',
): Promise<number[]> {
  const rates = list.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, e] of list.entries()) {
      const c = process.cpuUsage();
      const s = performance.now();
      await e.embed(input);
      const used = process.cpuUsage(c);
      const seconds = mode === 'cpu' ? (used.user + used.system) / 1e6 : (performance.now() - s) / 1000;
      rates[i]!.push(input.length / seconds);
    }
  }
  for (const e of list) await e.dispose();
  return rates.map(median);
}

/**
 * Measures and prints part 1.
 *
 * @param bench - the bench
 */
export async function measureGraphs(bench: OptimizeBench): Promise<GraphFigures> {
  const { original, optimized, withSkipLn, standIn } = bench.models;
  const { input, batch } = bench;
  const variants = [
    { label: 'original fp32 (today)', model: original, dtype: 'fp32' },
    { label: 'original q8', model: original, dtype: 'q8' },
    { label: 'optimized, previous passes (SkipLayerNorm, BiasGelu) fp32', model: withSkipLn, dtype: 'fp32' },
    { label: 'optimized, previous passes (SkipLayerNorm, BiasGelu) q8', model: withSkipLn, dtype: 'q8' },
    { label: 'optimized (default passes) fp32', model: optimized, dtype: 'fp32' },
    { label: 'optimized (default passes) q8', model: optimized, dtype: 'q8' },
  ] as const;
  const embedders = variants.map(
    (v) => new TransformersEmbedder({ model: v.model, dtype: v.dtype, batchSize: batch }),
  );
  const reference = await embedders[0]!.embed(input);
  const cosines: number[] = [];
  for (const e of embedders) {
    const got = await e.embed(input);
    let worst = 1;
    got.forEach((row, i) => {
      const ref = reference[i]!;
      let dot = 0;
      for (let j = 0; j < row.length; j++) dot += (row[j] as number) * (ref[j] as number);
      worst = Math.min(worst, dot); // both are L2-normalized
    });
    cosines.push(worst);
  }
  const wallRates = await embedRates(embedders, input, bench.rounds, 'wall');
  // The same on one ONNX Runtime thread, timed by CPU time: what other processes on the machine barely move.
  // The last one is the stand-in graph: what the embedder itself costs around any model.
  const oneThread = [...variants, { model: standIn, dtype: 'fp32' as const }].map(
    (v) => new TransformersEmbedder({ model: v.model, dtype: v.dtype, batchSize: batch, threads: 1 }),
  );
  for (const e of oneThread) await e.embed(input.slice(0, 8));
  const cpuRates = await embedRates(oneThread, input, bench.rounds, 'cpu');
  const ownMs = (input.length / cpuRates[variants.length]!) * 1000;
  console.log(
    `\n1. Graphs: TransformersEmbedder, ${input.length} texts, batch ${batch}, ${bench.rounds} interleaved rounds each: wall time (default threads), then CPU time (threads: 1); medians`,
  );
  printMarkdownTable(
    'graph | texts/s: | vs today fp32: | texts/s per core (CPU time): | vs today fp32: | min cosine to fp32:',
    variants.map((v, i) => ({
      name: v.label,
      cells: [
        wallRates[i]!.toFixed(1),
        `${(wallRates[i]! / wallRates[0]!).toFixed(2)}x`,
        cpuRates[i]!.toFixed(1),
        `${(cpuRates[i]! / cpuRates[0]!).toFixed(2)}x`,
        cosines[i]!.toFixed(5),
      ],
    })),
  );
  const q8Ms = (input.length / cpuRates[variants.length - 1]!) * 1000;
  console.log(
    `TransformersEmbedder's own cost (tokenizing, padding, pooling, normalizing; timed on a stand-in graph that only looks up the token embeddings, in the same rounds): ${ownMs.toFixed(1)} ms CPU per ${input.length} texts, ${((100 * ownMs) / q8Ms).toFixed(1)}% of the optimized q8 row's ${q8Ms.toFixed(0)} ms`,
  );
  return { ownMs, q8Ratio: cpuRates[variants.length - 1]! / cpuRates[0]! };
}
