/**
 * `botlens optimize` on bench-minilm-l6 (random weights: cost only; the cosine checks numerics, not accuracy):
 * the graphs' gains through TransformersEmbedder, the batching lever apart from them, the ceiling set by the
 * model's matrix products alone in ONNX Runtime (fp32 and q8, against the 1.3x / 3x targets), ONNX Runtime's
 * per-operator profile, and the other q8 graphs that were tried, each measured side by side in interleaved rounds
 * in this one process.
 *
 * 1. Graphs: texts/s of TransformersEmbedder at batch 64 for the original fp32 graph (today's figure), the
 *    original quantized to q8, the graph optimized with the previous default passes (SkipLayerNormalization,
 *    BiasGelu) and with today's default (residual Sum + LayerNormalization, Gelu after the projection's bias),
 *    each in fp32 and q8 (fused attention becomes QAttention); ratio to the original fp32 and the embeddings'
 *    worst cosine to it; by wall time with default threads, and by CPU time with `threads: 1`. Every row uses
 *    the same batching, so the ratios are graph gains only. A stand-in graph that only looks up the token
 *    embeddings, timed in the same rounds, gives the embedder's own cost (tokenizing, padding, pooling).
 * 2. Batching (a different lever): the padded tokens of the batches `planBatches` now plans for these texts
 *    against the plan before it (length-sorted, cut every 64 texts), and the texts/s (CPU time, one thread) of an
 *    ONNX Runtime session running exactly those batch shapes; the optimized q8 / original fp32 ratio there, and
 *    that ratio with the embedder's own cost added to both sides (what part 1 should measure); and the q8
 *    ceilings (part 3's chains) on those same batches, with the embedder's own cost added: the best q8 / fp32
 *    ratio through TransformersEmbedder any element-wise fusion could reach.
 * 3. The ceiling: ONNX Runtime's own MatMul (fp32) and DynamicQuantizeMatMul (q8, int8 weights, what the
 *    quantized graph runs) alone, on this model's exact matrix products for a batch of 64 texts, against the
 *    whole graphs at the same shape: the texts/s the model could reach if every other operator took no time.
 *    A third chain keeps ONNX Runtime's attention (QAttention, fed the padding mask as the optimized graph feeds
 *    it, so it takes the same masked path) as well: the q8 ceiling when only the element-wise operators (GELU,
 *    residual sums, LayerNorms, embeddings) take no time.
 *    The optimized q8 graph with its weights stored as uint8 instead of int8 shows why the quantizer writes
 *    signed weights (ONNX Runtime's u8s8 kernels use AVX-512 VNNI directly, its u8u8 ones do not).
 *    Wall time with ONNX Runtime's default threads, and CPU time on one thread (steadier on a busy machine).
 * 4. ONNX Runtime's per-operator profile of the optimized fp32 and q8 graphs.
 * 5. Other ways to write the q8 graph (bench/lib/q8-variants.ts), timed on part 2's batches beside the one botlens
 *    writes: attention left unfused (three activation quantizations for Q, K, V), MultiHeadAttention after one
 *    packed QKV GEMM + Split or after three GEMMs sharing one activation quantization, FastGelu or ONNX's Gelu-20
 *    for com.microsoft.Gelu, the residual's bias on the projection (ONNX Runtime then fuses its own
 *    SkipLayerNormalization), and the skip-layer-norm pass without attention fusion; each with its ratio through
 *    the embedder.
 *
 * Each part is a module of bench/lib/optimize/ (prepare, graphs, batching, ceiling, profile, alternatives), with
 * three helpers they share: context (the model folders, sizes, texts and settings every part reads), sessions
 * (ONNX Runtime sessions, feeds and CPU timing) and ceiling-graphs (the graphs that bound what the model could
 * reach). This script checks for the encoder, builds the models and runs the parts in order.
 *
 *   npx tsx bench/optimize.ts [texts=256] [rounds=5]
 *
 * needs: shared (the bench encoder).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
const MODEL = join(shared, 'fixtures/bench/bench-minilm-l6');
const N = Number(process.argv[2] ?? 256);
const ROUNDS = Number(process.argv[3] ?? 5);
const BATCH = 64;

if (!existsSync(MODEL)) {
  console.log('skipped: ../shared not found (this bench needs fixtures/bench/bench-minilm-l6)');
  process.exit(0);
}

// The parts load ONNX Runtime and transformers.js: imported only once the encoder is there.
const { benchTexts, prepareModels } = await import('./lib/optimize/prepare.js');
const { measureGraphs } = await import('./lib/optimize/graphs.js');
const { writeGemmChains } = await import('./lib/optimize/ceiling-graphs.js');
const { measureBatching } = await import('./lib/optimize/batching.js');
const { measureCeiling } = await import('./lib/optimize/ceiling.js');
const { printProfiles } = await import('./lib/optimize/profile.js');
const { measureAlternatives } = await import('./lib/optimize/alternatives.js');

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const startLoad = load();

const work = mkdtempSync(join(tmpdir(), 'botlens-optimize-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const { models, config } = await prepareModels(MODEL, work);
const bench = {
  work,
  models,
  shape: {
    layers: config['num_hidden_layers']!,
    hidden: config['hidden_size']!,
    intermediate: config['intermediate_size']!,
    heads: config['num_attention_heads']!,
  },
  input: benchTexts(shared, N),
  rounds: ROUNDS,
  batch: BATCH,
};

const graphs = await measureGraphs(bench); // 1
const chains = await writeGemmChains(work, bench.shape);
const batching = await measureBatching(bench, chains, graphs); // 2
const fixed = await measureCeiling(bench, chains, batching.paddedLength); // 3
await printProfiles(bench, fixed, batching.paddedLength); // 4
await measureAlternatives(bench, batching.plannedFeeds, graphs.ownMs); // 5

console.log(`\nload average (1, 5, 15 min) at start ${startLoad}, at end ${load()} on ${cpus().length} CPUs`);
