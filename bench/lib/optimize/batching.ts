/**
 * Part 2 of bench/optimize.ts, batching (a different lever from the graph): the padded tokens of the batches
 * `planBatches` plans for the texts against the plan before it (length-sorted, cut every batch), the texts/s of a
 * bare one-thread ONNX Runtime session running exactly those shapes (original fp32 and optimized q8), and the q8
 * ceilings (the GEMM chains) on planBatches' batches, each with the embedder's own cost added.
 */
import { join } from 'node:path';
import { planBatches } from '../../../src/runtime/batching.js';
import { encodeTexts } from '../../../src/runtime/encode-texts.js';
import { loadTransformers } from '../../../src/runtime/load-model.js';
import { median } from '../child-runs.js';
import { printMarkdownTable } from '../markdown-table.js';
import type { GemmChains } from './ceiling-graphs.js';
import type { OptimizeBench } from './context.js';
import type { GraphFigures } from './graphs.js';
import { bertFeeds, chainFeeds, cpuMsOf, type Feeds, ONE_THREAD, session } from './sessions.js';

/** What later parts read from part 2. */
export interface BatchingFigures {
  /** planBatches' batches of the texts as BERT feeds: what the embedder runs. */
  plannedFeeds: Feeds[];
  /** The mean padded length of a text in planBatches' plan, rounded. */
  paddedLength: number;
}

/**
 * Measures and prints part 2.
 *
 * @param bench - the bench
 * @param chains - the GEMM chains
 * @param graphs - part 1's figures
 */
export async function measureBatching(
  bench: OptimizeBench,
  chains: GemmChains,
  graphs: GraphFigures,
): Promise<BatchingFigures> {
  const { input, batch, rounds } = bench;
  const { original, optimized } = bench.models;
  const { ownMs } = graphs;
  const T = await loadTransformers();
  const tokenizer = await T.AutoTokenizer.from_pretrained(original, { local_files_only: true });
  const lengths = encodeTexts(tokenizer, input, { maxLength: 512 }).map((r) => r.input_ids.length);
  const sorted = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const plans = {
    'sorted, cut every 64 (before)': Array.from({ length: Math.ceil(sorted.length / batch) }, (_, k) =>
      sorted.slice(k * batch, (k + 1) * batch),
    ),
    'planBatches (now)': planBatches(lengths, { batchSize: batch }),
  };
  const padded = (plan: number[][]) =>
    plan.reduce((s, b) => s + b.length * Math.max(...b.map((i) => lengths[i]!)), 0);
  const realTokens = lengths.reduce((a, b) => a + b, 0);
  const replay = [
    { label: 'original fp32', path: join(original, 'onnx/model.onnx') },
    { label: 'optimized q8', path: join(optimized, 'onnx/model_quantized.onnx') },
  ];
  const replaySessions = await Promise.all(replay.map((r) => session(r.path, ONE_THREAD)));
  const planFeeds = Object.values(plans).map((p) => p.map((b) => bertFeeds(b.map((i) => lengths[i]!))));
  const replayRates = replay.map(() => planFeeds.map(() => [] as number[]));
  // The q8 ceilings on planBatches' own batch shapes, in the same rounds: what the graph could reach on exactly
  // the batches the embedder runs if the element-wise operators (or everything but the int8 GEMMs) took no time.
  const planned = plans['planBatches (now)'];
  const plannedChains = [
    { path: chains.q8Attention, flat: false },
    { path: chains.q8, flat: true },
  ].map((c) => ({
    ...c,
    feeds: planned.map((b) =>
      chainFeeds(
        b.map((i) => lengths[i]!),
        c.flat,
        bench.shape.hidden,
      ),
    ),
  }));
  const chainSessions = await Promise.all(plannedChains.map((c) => session(c.path, ONE_THREAD)));
  const chainMs = plannedChains.map(() => [] as number[]);
  for (let r = 0; r <= rounds; r++) {
    for (const [si, s] of replaySessions.entries()) {
      for (const [pi, batches] of planFeeds.entries()) {
        const ms = await cpuMsOf(s, batches);
        if (r > 0) replayRates[si]![pi]!.push((input.length / ms) * 1000);
      }
    }
    for (const [ci, s] of chainSessions.entries()) {
      const ms = await cpuMsOf(s, plannedChains[ci]!.feeds);
      if (r > 0) chainMs[ci]!.push(ms);
    }
  }
  for (const s of [...replaySessions, ...chainSessions]) await s.release();
  console.log(
    `\n2. Batching (a different lever from the graph): ${input.length} texts, ${realTokens} real tokens; each plan's batch shapes run through a bare ONNX Runtime session on one thread, ${rounds} interleaved rounds (median texts/s per core, CPU time)`,
  );
  const planNames = Object.keys(plans);
  printMarkdownTable(
    'plan | batches: | padded tokens: | original fp32 texts/s: | ratio: | optimized q8 texts/s: | ratio: | q8 / fp32:',
    Object.values(plans).map((p, pi) => ({
      name: planNames[pi]!,
      cells: [
        p.length,
        padded(p),
        ...replay.flatMap((_, si) => {
          const m = median(replayRates[si]![pi]!);
          return [m.toFixed(1), `${(m / median(replayRates[si]![0]!)).toFixed(2)}x`];
        }),
        `${(median(replayRates[1]![pi]!) / median(replayRates[0]![pi]!)).toFixed(2)}x`,
      ],
    })),
  );
  // The embedder runs exactly the planBatches shapes: its ratio is the bare one diluted by its own cost.
  const bareMs = replay.map((_, si) => (input.length / median(replayRates[si]![1]!)) * 1000);
  const predicted = (bareMs[0]! + ownMs) / (bareMs[1]! + ownMs);
  console.log(
    `bare sessions on planBatches' batches: optimized q8 ${(bareMs[0]! / bareMs[1]!).toFixed(2)}x original fp32 (the most any embedder could show with this graph: its own cost only dilutes the ratio); adding the embedder's own ${ownMs.toFixed(1)} ms to both predicts ${predicted.toFixed(2)}x through TransformersEmbedder (part 1 measured ${graphs.q8Ratio.toFixed(2)}x)`,
  );
  // The ceiling argument for the 3x target through the embedder, on the batches it runs.
  const [attentionKept, gemmOnly] = chainMs.map(median) as [number, number];
  const through = (ms: number) => (bareMs[0]! + ownMs) / (ms + ownMs);
  const needed = (bareMs[0]! + ownMs) / 3 - ownMs;
  console.log(
    `q8 ceilings on the same batches (CPU ms per ${input.length} texts, one thread): original fp32 ${bareMs[0]!.toFixed(0)}, optimized q8 ${bareMs[1]!.toFixed(0)}, DynamicQuantizeMatMul + QAttention alone ${attentionKept.toFixed(0)}, DynamicQuantizeMatMul alone ${gemmOnly.toFixed(0)}`,
  );
  console.log(
    `through TransformersEmbedder (its own ${ownMs.toFixed(1)} ms added to both sides): if GELU, residual sums, LayerNorms and embeddings took no time ${through(attentionKept).toFixed(2)}x; if only the int8 GEMMs took time ${through(gemmOnly).toFixed(2)}x; the optimized q8 graph ${through(bareMs[1]!).toFixed(2)}x. 3x needs the graph at ${needed.toFixed(0)} ms: ${((100 * (bareMs[1]! - needed)) / bareMs[1]!).toFixed(1)}% less than the optimized q8 graph, ${needed >= attentionKept ? `i.e. the time of its element-wise operators (beside ONNX Runtime's GEMMs and attention) cut by ${((100 * (bareMs[1]! - needed)) / (bareMs[1]! - attentionKept)).toFixed(0)}%` : "below the ceiling with ONNX Runtime's attention: out of reach of any element-wise fusion"}`,
  );
  return {
    plannedFeeds: planFeeds[1]!,
    paddedLength: Math.round(padded(plans['planBatches (now)']) / input.length),
  };
}
