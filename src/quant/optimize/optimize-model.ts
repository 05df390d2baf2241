import { describeValue } from '../../core/describe-value.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { ensureOpset, MS_DOMAIN, pruneGraph } from '../../onnx/graph-edit.js';
import type { ModelProto } from '../../onnx/onnx-types.js';
import { fuseAttention } from './fuse-attention.js';
import { fuseBiasGelu, fuseSkipLayerNorm, sumResidualLayerNorm } from './fuse-norm-gelu.js';
import { removeDeadNodes } from './graph-index.js';

/**
 * The passes `optimizeOnnxModel` can apply, in the order it applies them. `residual-layer-norm` and
 * `skip-layer-norm` rewrite the same residual + LayerNorm pairs two ways, as `gelu` and `bias-gelu` do the GELUs,
 * so at most one of each pair runs.
 */
export const OPTIMIZE_PASSES = [
  'attention',
  'residual-layer-norm',
  'skip-layer-norm',
  'gelu',
  'bias-gelu',
] as const;

/** One pass of `optimizeOnnxModel`. */
export type OptimizePass = (typeof OPTIMIZE_PASSES)[number];

/**
 * The passes run when none are named: the fastest set on ONNX Runtime's CPU provider (bench/optimize.ts), which
 * keeps residual + LayerNorm as `Sum` + `LayerNormalization` rather than `SkipLayerNormalization`, and GELU as
 * `Gelu` after the projection's own bias Add rather than `BiasGelu`.
 */
export const DEFAULT_OPTIMIZE_PASSES: readonly OptimizePass[] = ['attention', 'residual-layer-norm', 'gelu'];

/** Options of `optimizeOnnxModel`. */
export interface OptimizeModelOptions {
  /** Attention heads per layer (`num_attention_heads` in the model's config.json). */
  numHeads: number;
  /**
   * Which passes to apply (not both `residual-layer-norm` and `skip-layer-norm`, nor `gelu` and `bias-gelu`).
   * @defaultValue {@link DEFAULT_OPTIMIZE_PASSES}: `['attention', 'residual-layer-norm', 'gelu']`
   */
  passes?: readonly OptimizePass[];
}

/** What `optimizeOnnxModel` changed. */
export interface OptimizeReport {
  /** Self-attention blocks fused into `com.microsoft.Attention`. */
  attention: number;
  /** Residual Add + LayerNormalization pairs fused into `com.microsoft.SkipLayerNormalization`. */
  skipLayerNorm: number;
  /** Residual Add (+ bias Add) before a LayerNormalization rewritten as one `Sum` (`residual-layer-norm`). */
  residualLayerNorm: number;
  /** Bias Add + erf GELU chains fused into `com.microsoft.BiasGelu` (or `Gelu`) by `bias-gelu`. */
  biasGelu: number;
  /** Erf GELU chains fused into `com.microsoft.Gelu`, bias Add left in place, by `gelu`. */
  gelu: number;
  /** Nodes in the graph before the fusions. */
  nodesBefore: number;
  /** Nodes in the graph after the fusions (and the removal of what they made dead). */
  nodesAfter: number;
}

/**
 * Fuses a transformers.js encoder graph (BERT family, as the PyTorch exporters write it) into ONNX Runtime's
 * contrib operators, in the spirit of ONNX Runtime's Python transformer optimizer: self-attention into
 * `Attention`, residual (+ bias) before a LayerNorm into one `Sum` (or, on request, residual + LayerNorm into
 * `SkipLayerNormalization`), the erf GELU into `Gelu` (or, on request, bias + GELU into `BiasGelu`). Edits `model` in
 * place; graphs without these patterns are left as they are (every count 0). The result must be checked
 * numerically against the original (`optimizeModelFolder` does).
 *
 * @param model - a decoded ONNX model
 * @param opts - head count and passes
 * @example
 * ```ts
 * const report = optimizeOnnxModel(model, { numHeads: 12 });
 * console.log(report.attention, 'attention blocks fused');
 * ```
 */
export function optimizeOnnxModel(model: ModelProto, opts: OptimizeModelOptions): OptimizeReport {
  if (!Number.isInteger(opts.numHeads) || opts.numHeads < 1) {
    throw new InvalidOptionsError(
      'numHeads',
      `expected a positive integer, got ${describeValue(opts.numHeads)}`,
    );
  }
  const passes = checkPasses(opts.passes ?? DEFAULT_OPTIMIZE_PASSES);
  const graph = model.graph;
  if (!graph) throw new InvalidOptionsError('model', 'the model has no graph');
  const nodesBefore = graph.node.length;
  const report: OptimizeReport = {
    attention: 0,
    skipLayerNorm: 0,
    residualLayerNorm: 0,
    biasGelu: 0,
    gelu: 0,
    nodesBefore,
    nodesAfter: 0,
  };
  if (passes.has('attention')) {
    report.attention = fuseAttention(graph, { numHeads: opts.numHeads });
    removeDeadNodes(graph);
  }
  if (passes.has('residual-layer-norm')) {
    report.residualLayerNorm = sumResidualLayerNorm(graph);
    removeDeadNodes(graph);
  }
  if (passes.has('skip-layer-norm')) {
    report.skipLayerNorm = fuseSkipLayerNorm(graph);
    removeDeadNodes(graph);
  }
  if (passes.has('gelu')) {
    report.gelu = fuseBiasGelu(graph, { keepBias: true });
    removeDeadNodes(graph);
  }
  if (passes.has('bias-gelu')) {
    report.biasGelu = fuseBiasGelu(graph);
    removeDeadNodes(graph);
  }
  const changed =
    report.attention + report.skipLayerNorm + report.residualLayerNorm + report.biasGelu + report.gelu;
  if (changed > 0) {
    ensureOpset(model, MS_DOMAIN, 1);
    pruneGraph(graph);
  }
  report.nodesAfter = graph.node.length;
  return report;
}

/**
 * Checks a list of passes: each known, and not both ways of rewriting residual + LayerNorm or the GELU.
 *
 * @internal
 *
 * @param passes - the passes asked for
 * @throws InvalidOptionsError on an unknown pass, or both passes of a pair
 */
export function checkPasses(passes: readonly OptimizePass[]): Set<OptimizePass> {
  const set = new Set<OptimizePass>(passes);
  for (const p of set) {
    if (!OPTIMIZE_PASSES.includes(p)) {
      throw new InvalidOptionsError(
        'passes',
        `unknown pass "${String(p)}": use ${OPTIMIZE_PASSES.join(', ')}`,
      );
    }
  }
  for (const [a, b, what] of [
    ['residual-layer-norm', 'skip-layer-norm', 'residual + LayerNorm pairs'],
    ['gelu', 'bias-gelu', 'GELUs'],
  ] as const) {
    if (set.has(a) && set.has(b)) {
      throw new InvalidOptionsError(
        'passes',
        `choose one of "${a}" and "${b}": both rewrite the same ${what}`,
      );
    }
  }
  return set;
}
