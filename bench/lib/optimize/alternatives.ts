/**
 * Part 5 of bench/optimize.ts: other ways to write the q8 graph (../q8-variants.ts and other pass lists), timed
 * on planBatches' batches through a bare one-thread session beside the one botlens writes, each with its ratio
 * through the embedder.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { optimizeModelFolder } from '../../../src/quant/optimize/optimize-folder.js';
import type { OptimizePass } from '../../../src/quant/optimize/optimize-model.js';
import { quantize } from '../../../src/quant/quantize.js';
import { median } from '../child-runs.js';
import { printMarkdownTable } from '../markdown-table.js';
import {
  type AttentionRewrite,
  type Q8NodeRewrite,
  writeMultiHeadAttentionVariant,
  writeQ8NodeVariant,
} from '../q8-variants.js';
import type { OptimizeBench } from './context.js';
import { cpuMsOf, type Feeds, ONE_THREAD, session } from './sessions.js';

/**
 * Builds, measures and prints part 5.
 *
 * @param bench - the bench
 * @param batches - planBatches' batches, as the embedder runs them (part 2)
 * @param ownMs - the embedder's own CPU milliseconds per run over the texts (part 1)
 */
export async function measureAlternatives(
  bench: OptimizeBench,
  batches: Feeds[],
  ownMs: number,
): Promise<void> {
  const { original, optimized } = bench.models;
  const { input, rounds } = bench;
  const alt = join(bench.work, 'alternatives');
  mkdirSync(alt);
  const folder = async (name: string, passes: readonly OptimizePass[]) => {
    const out = join(alt, name);
    await optimizeModelFolder(original, { out, passes });
    await quantize(out, { bits: 8, onWarning: () => {} });
    return join(out, 'onnx/model_quantized.onnx');
  };
  const mha = async (how: AttentionRewrite) => {
    const out = join(alt, `mha-${how}`);
    await writeMultiHeadAttentionVariant(optimized, out, how, bench.shape.hidden);
    return join(out, 'onnx/model_quantized.onnx');
  };
  const nodes = async (how: Q8NodeRewrite) => {
    const out = join(alt, `q8-${how}.onnx`);
    await writeQ8NodeVariant(join(optimized, 'onnx/model_quantized.onnx'), out, how);
    return out;
  };
  const rows = [
    { label: 'original fp32 (today)', path: join(original, 'onnx/model.onnx') },
    { label: 'optimized q8 (what botlens writes)', path: join(optimized, 'onnx/model_quantized.onnx') },
    {
      label: 'attention not fused: Q, K, V three DynamicQuantizeMatMul, each quantizing the input',
      path: await folder('no-attention', ['residual-layer-norm', 'gelu']),
    },
    {
      label: 'packed QKV DynamicQuantizeMatMul + Split + MultiHeadAttention',
      path: await mha('packed-split'),
    },
    {
      label: 'one DynamicQuantizeLinear shared by Q, K, V (MatMulIntegerToFloat) + MultiHeadAttention',
      path: await mha('shared-quantization'),
    },
    { label: 'FastGelu (tanh approximation) for Gelu', path: await nodes('fast-gelu') },
    { label: 'ONNX Gelu (opset 20) for com.microsoft.Gelu', path: await nodes('onnx-gelu') },
    {
      label: 'bias on the projection (ORT fuses Add + LayerNorm into its SkipLayerNormalization)',
      path: await nodes('bias-on-projection'),
    },
    {
      label: 'skip-layer-norm pass without attention fusion',
      path: await folder('skip-ln-alone', ['skip-layer-norm', 'gelu']),
    },
  ];
  const sessions = await Promise.all(rows.map((r) => session(r.path, ONE_THREAD)));
  const ms = rows.map(() => [] as number[]);
  for (let r = 0; r <= rounds; r++) {
    for (const [i, s] of sessions.entries()) {
      const took = await cpuMsOf(s, batches);
      if (r > 0) ms[i]!.push(took);
    }
  }
  for (const s of sessions) await s.release();
  const med = ms.map(median);
  console.log(
    `\n5. Other ways to write the q8 graph (random weights, timing only): planBatches' ${batches.length} batches of part 2 through a bare session on one thread, ${rounds} interleaved rounds, median CPU ms per ${input.length} texts; "through the embedder" adds its own ${ownMs.toFixed(1)} ms (part 1) to both sides`,
  );
  printMarkdownTable(
    'graph | CPU ms: | vs optimized q8: | vs today fp32: | through the embedder:',
    rows.map((r, i) => ({
      name: r.label,
      cells: [
        med[i]!.toFixed(0),
        `${(med[1]! / med[i]!).toFixed(3)}x`,
        `${(med[0]! / med[i]!).toFixed(2)}x`,
        `${((med[0]! + ownMs) / (med[i]! + ownMs)).toFixed(2)}x`,
      ],
    })),
  );
  const best = med.slice(1).reduce((b, m, i) => (m < med[b + 1]! ? i : b), 0) + 1;
  console.log(
    `fastest q8 graph here: ${rows[best]!.label} (${((med[0]! + ownMs) / (med[best]! + ownMs)).toFixed(2)}x today's fp32 through the embedder); 3x through the embedder needs ${((med[0]! + ownMs) / 3 - ownMs).toFixed(0)} ms`,
  );
}
