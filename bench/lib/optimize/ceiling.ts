/**
 * Part 3 of bench/optimize.ts, the ceiling: ONNX Runtime's own MatMul (fp32) and DynamicQuantizeMatMul (q8) alone
 * on the model's exact matrix products for one batch, against the whole graphs at the same shape (and the q8
 * chain with ONNX Runtime's attention kept, the q8 graph with each GELU as Relu, and with uint8 weights); wall
 * time with default threads and CPU time on one thread.
 */
import { join } from 'node:path';
import { median } from '../child-runs.js';
import { gemmFlopsPerToken } from '../gemm-chain.js';
import { printMarkdownTable } from '../markdown-table.js';
import { type GemmChains, writeGeluAsRelu, writeUint8Weights } from './ceiling-graphs.js';
import type { OptimizeBench } from './context.js';
import { bertFeeds, chainFeeds, type Feeds, ONE_THREAD, session } from './sessions.js';

/**
 * Measures and prints part 3.
 *
 * @param bench - the bench
 * @param chains - the GEMM chains
 * @param tokens - the padded length of every text in the batch (part 2's mean)
 * @returns the BERT feeds of that batch, for part 4's profile
 */
export async function measureCeiling(
  bench: OptimizeBench,
  chains: GemmChains,
  tokens: number,
): Promise<Feeds> {
  const { original, optimized } = bench.models;
  const { batch: BATCH, rounds: ROUNDS, shape } = bench;
  const S = tokens;
  const q8ReluGelu = join(bench.work, 'q8-gelu-as-relu.onnx');
  await writeGeluAsRelu(join(optimized, 'onnx/model_quantized.onnx'), q8ReluGelu);
  const q8Uint8 = join(bench.work, 'q8-uint8-weights.onnx');
  await writeUint8Weights(join(optimized, 'onnx/model_quantized.onnx'), q8Uint8);
  const rows = Array.from({ length: BATCH }, () => S);
  const flatFeeds = chainFeeds(rows, true, shape.hidden);
  const fixed = bertFeeds(rows);
  const ceilingRows = [
    { label: 'original fp32 (today)', path: join(original, 'onnx/model.onnx'), feeds: fixed },
    { label: 'optimized fp32', path: join(optimized, 'onnx/model.onnx'), feeds: fixed },
    { label: 'MatMul alone (fp32 GEMM ceiling)', path: chains.fp32, feeds: flatFeeds },
    { label: 'original q8', path: join(original, 'onnx/model_quantized.onnx'), feeds: fixed },
    { label: 'optimized q8', path: join(optimized, 'onnx/model_quantized.onnx'), feeds: fixed },
    { label: 'DynamicQuantizeMatMul alone (q8 GEMM ceiling)', path: chains.q8, feeds: flatFeeds },
    { label: 'optimized q8, each GELU run as Relu (a bound, not the model)', path: q8ReluGelu, feeds: fixed },
    {
      label: 'DynamicQuantizeMatMul + QAttention alone (q8 ceiling with ORT attention)',
      path: chains.q8Attention,
      feeds: chainFeeds(rows, false, shape.hidden),
    },
    { label: 'optimized q8, weights stored as uint8 (u8u8 kernels)', path: q8Uint8, feeds: fixed },
  ];
  /** Median milliseconds per run of each row: wall with default threads, or process CPU time on one thread. */
  async function timeRows(mode: 'wall' | 'cpu', rounds: number): Promise<number[]> {
    const opts = mode === 'cpu' ? ONE_THREAD : {};
    const sessions = await Promise.all(ceilingRows.map((r) => session(r.path, opts)));
    const times = ceilingRows.map(() => [] as number[]);
    for (let r = 0; r <= rounds; r++) {
      for (const [i, s] of sessions.entries()) {
        const c = process.cpuUsage();
        const t = performance.now();
        await s.run(ceilingRows[i]!.feeds);
        const used = process.cpuUsage(c);
        if (r > 0) times[i]!.push(mode === 'cpu' ? (used.user + used.system) / 1000 : performance.now() - t);
      }
    }
    for (const s of sessions) await s.release();
    return times.map(median);
  }
  const wall = await timeRows('wall', ROUNDS + 2);
  const cpu = await timeRows('cpu', ROUNDS);
  const flopsPerText = gemmFlopsPerToken(shape) * S;
  console.log(
    `\n3. Ceiling: a batch of ${BATCH} texts x ${S} tokens (the mean padded length of part 2's plan); the model's matrix products are ${(flopsPerText / 1e6).toFixed(0)} MFLOP per text (${((flopsPerText * BATCH) / 1e9).toFixed(1)} GFLOP per batch); ${ROUNDS + 2} interleaved rounds wall (default threads), ${ROUNDS} CPU time (1 thread), medians`,
  );
  printMarkdownTable(
    'graph | wall ms: | texts/s: | vs today fp32: | CPU ms, 1 thread: | texts/s per core: | vs today fp32:',
    ceilingRows.map((r, i) => ({
      name: r.label,
      cells: [
        wall[i]!.toFixed(1),
        ((BATCH / wall[i]!) * 1000).toFixed(1),
        `${(wall[0]! / wall[i]!).toFixed(2)}x`,
        cpu[i]!.toFixed(1),
        ((BATCH / cpu[i]!) * 1000).toFixed(1),
        `${(cpu[0]! / cpu[i]!).toFixed(2)}x`,
      ],
    })),
  );
  const gflops = (ms: number) => ((flopsPerText * BATCH) / (ms / 1000) / 1e9).toFixed(0);
  console.log(
    `GEMM throughput: fp32 ${gflops(wall[2]!)} GFLOP/s wall, ${gflops(cpu[2]!)} GFLOP/s per core; q8 ${gflops(wall[5]!)} GOP/s wall, ${gflops(cpu[5]!)} GOP/s per core`,
  );
  for (const [name, row, best, target] of [
    ['fp32', 2, 1, 1.3],
    ['q8', 5, 4, 3],
  ] as const) {
    const bound = { wall: wall[0]! / wall[row]!, cpu: cpu[0]! / cpu[row]! };
    const got = { wall: wall[0]! / wall[best]!, cpu: cpu[0]! / cpu[best]! };
    const texts = ((BATCH / cpu[row]!) * 1000).toFixed(0);
    console.log(
      `${name}: if every other operator took no time: ${texts} texts/s per core = ${bound.cpu.toFixed(3)}x today's fp32 by CPU time (${bound.wall.toFixed(3)}x by wall time), ${bound.cpu < target ? 'BELOW' : 'above'} the ${target}x target; the optimized graph: ${got.cpu.toFixed(2)}x (${got.wall.toFixed(2)}x by wall time)`,
    );
  }
  const bound = cpu[0]! / cpu[7]!;
  console.log(
    `q8 with ONNX Runtime's attention kept (only GELU, residual sums, LayerNorms and embeddings free): ${((BATCH / cpu[7]!) * 1000).toFixed(0)} texts/s per core = ${bound.toFixed(3)}x today's fp32 by CPU time (${(wall[0]! / wall[7]!).toFixed(3)}x by wall time); its attention is ${(cpu[7]! - cpu[5]!).toFixed(1)} ms of the optimized q8 graph's ${cpu[4]!.toFixed(1)} ms, the element-wise rest ${(cpu[4]! - cpu[7]!).toFixed(1)} ms`,
  );
  console.log(
    `GELU's arithmetic beyond one pass over its tensor: ${(cpu[4]! - cpu[6]!).toFixed(1)} ms (optimized q8 with each GELU as Relu: ${(cpu[0]! / cpu[6]!).toFixed(2)}x by CPU time)`,
  );
  console.log(
    `int8 (signed) weights, as the quantizer writes them: ${cpu[4]!.toFixed(1)} ms; the same weights stored as uint8: ${cpu[8]!.toFixed(1)} ms (${(cpu[8]! / cpu[4]!).toFixed(2)}x the CPU time, ONNX Runtime's u8u8 kernels)`,
  );
  console.log(
    '(CPU time on one thread decides: on a shared machine it moves a few percent between runs, wall time with two spinning threads far more)',
  );
  return fixed;
}
