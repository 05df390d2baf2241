import { describeValue } from '../core/describe-value.js';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ensureOpset, MS_DOMAIN, pruneGraph } from '../onnx/graph-edit.js';
import { NameAllocator } from '../onnx/onnx-graph.js';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/onnx-types.js';
import { resolveReduceRange } from './cpu-int8.js';
import { refuseUnmatchedExcludes, unmatchedExcludes } from './exclude-names.js';
import { findLinearSites, siteMatches } from './linear-sites.js';
import { quantizeAttentionInt8 } from './quantize-attention.js';
import type { ModelQuantizeReport, QuantizeModelOptions, ReduceRangeChoice } from './quantize-options.js';
import {
  int4Replacement,
  int8Replacement,
  quantizeEmbeddings,
  type Replacement,
  removeDeadTransposes,
} from './quantized-nodes.js';

/** Operators whose presence means a model is already quantized. */
const QUANTIZED_OPS = new Set([
  'DynamicQuantizeLinear',
  'QuantizeLinear',
  'DequantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'MatMulNBits',
  'MatMulBnb4',
  'MatMulFpQ4',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'QGemm',
  'QAttention',
  'QEmbedLayerNormalization',
  'GatherBlockQuantized',
  'DynamicQuantizeLSTM',
]);

const KNOWN_DOMAINS = new Set(['', 'ai.onnx']);
/** Contrib operators `botlens optimize` writes: weights in Attention are quantized, the others hold none. */
const FUSED_OPS = new Set([
  `${MS_DOMAIN}.Attention`,
  `${MS_DOMAIN}.SkipLayerNormalization`,
  `${MS_DOMAIN}.BiasGelu`,
  `${MS_DOMAIN}.Gelu`,
]);

/** The metadata key recording how botlens quantized a model. */
export const QUANT_METADATA_KEY = 'botlens.quantization';

/**
 * Names the reason a model counts as already quantized, or `undefined` when it holds only float operators.
 *
 * @param model - the model
 *
 * @example
 * ```ts
 * alreadyQuantized(await loadOnnxModel('onnx/model_quantized.onnx')); // 'it contains MatMulInteger nodes'
 * ```
 */
export function alreadyQuantized(model: ModelProto): string | undefined {
  if (model.metadata_props.some((e) => e.key === QUANT_METADATA_KEY)) return 'botlens already quantized it';
  for (const n of model.graph?.node ?? []) {
    if (QUANTIZED_OPS.has(n.op_type ?? '')) return `it contains ${n.op_type} nodes`;
  }
  return undefined;
}

function checkOptions(o: QuantizeModelOptions): void {
  if (o.bits !== 8 && o.bits !== 4)
    throw new InvalidOptionsError('bits', `expected 8 or 4, got ${describeValue(o.bits)}`);
  if (o.blockSize !== undefined && ![16, 32, 64, 128, 256].includes(o.blockSize)) {
    throw new InvalidOptionsError(
      'blockSize',
      `expected 16, 32, 64, 128 or 256, got ${describeValue(o.blockSize)}`,
    );
  }
  if (o.int8Format !== undefined && o.int8Format !== 'dynamic-matmul' && o.int8Format !== 'matmul-integer') {
    throw new InvalidOptionsError(
      'int8Format',
      `expected 'dynamic-matmul' or 'matmul-integer', got ${describeValue(o.int8Format)}`,
    );
  }
  if (o.accuracyLevel !== undefined && ![0, 1, 2, 3, 4].includes(o.accuracyLevel)) {
    throw new InvalidOptionsError(
      'accuracyLevel',
      `expected an integer 0 to 4, got ${describeValue(o.accuracyLevel)}`,
    );
  }
  if (o.reduceRange !== undefined && o.reduceRange !== 'auto' && typeof o.reduceRange !== 'boolean') {
    throw new InvalidOptionsError(
      'reduceRange',
      `expected true, false or 'auto', got ${describeValue(o.reduceRange)}`,
    );
  }
  for (const p of o.exclude ?? []) {
    if (typeof p !== 'string' && !(p instanceof RegExp)) {
      throw new InvalidOptionsError('exclude', 'expected an array of names (strings) or RegExps');
    }
  }
}

/**
 * Quantizes the linear layers of an ONNX model in place: 8-bit dynamic quantization (int8 weights, activations
 * quantized on the fly) or 4-bit block-wise weights through ONNX Runtime's `MatMulNBits`. Embedding tables and
 * output heads stay float32 unless asked. A model that already holds quantized operators is returned
 * untouched with a warning; operators it does not know are kept as they are.
 *
 * @param model - a model from `loadOnnxModel` / `decodeOnnxModel`; edited in place
 * @param options - bits and the rest of {@link QuantizeModelOptions}
 * @returns what was done
 * @throws InvalidOptionsError on bad options, and (`exclude`) when an `exclude` entry matches no layer of the
 *   model (the message lists the nearest names); AbortedError when `signal` fires
 *
 * @example
 * ```ts
 * const model = await loadOnnxModel('my-model/onnx/model.onnx');
 * const report = quantizeOnnxModel(model, { bits: 8 });
 * await saveOnnxModel(model, 'my-model/onnx/model_quantized.onnx');
 * console.log(report.quantized.length, 'layers;', report.bytesBefore, '->', report.bytesAfter, 'bytes');
 * ```
 */
export function quantizeOnnxModel(model: ModelProto, options: QuantizeModelOptions): ModelQuantizeReport {
  checkOptions(options);
  const report: ModelQuantizeReport = {
    status: 'nothing-to-quantize',
    quantized: [],
    kept: [],
    warnings: [],
    bytesBefore: 0,
    bytesAfter: 0,
    reduceRange: options.bits === 8 ? resolveReduceRange(options.reduceRange) : undefined,
  };
  const graph = model.graph;
  if (!graph) throw new InvalidOptionsError('model', 'the model has no graph');
  const already = alreadyQuantized(model);
  if (already) {
    report.status = 'already-quantized';
    report.warnings.push(`The model is already quantized (${already}); it was left as it is.`);
    report.reduceRange = undefined;
    return report;
  }
  warnUnknownOperators(graph, report);

  const bits = options.bits;
  const reduceRange = report.reduceRange?.reduceRange ?? false;
  const int8Format = options.int8Format ?? 'matmul-integer';
  const foldBias = bits === 4 || int8Format === 'dynamic-matmul';
  const { sites, kept } = findLinearSites(graph, { foldBias });
  const { unmatched, names: excludable } = unmatchedExcludes(graph, sites, options.exclude ?? []);
  refuseUnmatchedExcludes(unmatched, excludable, 'the model');
  report.kept.push(...kept);
  for (const n of graph.node) {
    if (
      n.op_type === 'Conv' &&
      (n.domain ?? '') === '' &&
      graph.initializer.some((t) => t.name === n.input[1])
    ) {
      report.kept.push({
        node: n.name || n.output[0] || '',
        op: 'Conv',
        reason: 'Conv weights are not quantized',
      });
    }
  }

  const names = new NameAllocator(graph);
  const replaced = new Map<NodeProto, Replacement>();
  const removed = new Set<NodeProto>();
  const weightCache = new Map<string, { inputs: string[]; tensors: TensorProto[]; bytes: number }>();

  for (const site of sites) {
    AbortedError.throwIfAborted(options.signal, 'quantize');
    const label = site.node.name || site.output;
    if (site.isHead && !options.quantizeHead) {
      report.kept.push({
        node: label,
        op: site.op,
        reason: 'output head kept in float32 (quantizeHead: false)',
      });
      continue;
    }
    const excluded = (options.exclude ?? []).find((p) => siteMatches(site, p));
    if (excluded !== undefined) {
      report.kept.push({ node: label, op: site.op, reason: `excluded by ${String(excluded)}` });
      continue;
    }
    if (bits === 4 && site.K < 16) {
      report.kept.push({
        node: label,
        op: site.op,
        reason: `K=${site.K} is below the 16 features MatMulNBits needs`,
      });
      continue;
    }
    const rep =
      bits === 8
        ? int8Replacement(site, options, int8Format, reduceRange, names, weightCache)
        : int4Replacement(site, options, names, weightCache);
    replaced.set(site.node, rep);
    if (site.foldedAdd) removed.add(site.foldedAdd);
    // A weight shared by several layers is quantized (and counted) once.
    if (rep.tensors.length > 0) report.bytesBefore += 4 * site.K * site.N;
    report.bytesAfter += rep.bytes;
    report.quantized.push({ node: label, module: site.module, op: site.op, shape: [site.K, site.N] });
  }

  if (report.reduceRange) quantizeFusedAttention(graph, options, report.reduceRange, names, replaced, report);
  if (options.quantizeEmbeddings) quantizeEmbeddings(graph, names, replaced, report);

  if (replaced.size === 0) {
    report.reduceRange = undefined;
    return report;
  }
  const nodes: NodeProto[] = [];
  const tensors: TensorProto[] = [];
  for (const n of graph.node) {
    if (removed.has(n)) continue;
    const rep = replaced.get(n);
    if (rep) {
      nodes.push(...rep.nodes);
      tensors.push(...rep.tensors);
    } else nodes.push(n);
  }
  graph.node = nodes;
  graph.initializer.push(...tensors);
  removeDeadTransposes(
    graph,
    sites.filter((s) => replaced.has(s.node)).map((s) => s.transpose),
  );
  pruneGraph(graph);
  if (nodes.some((n) => n.domain === MS_DOMAIN)) ensureOpset(model, MS_DOMAIN, 1);
  model.metadata_props = model.metadata_props.filter((e) => e.key !== QUANT_METADATA_KEY);
  model.metadata_props.push({
    key: QUANT_METADATA_KEY,
    value: JSON.stringify({
      bits,
      symmetric: options.symmetric ?? true,
      ...(bits === 8
        ? { format: int8Format, perChannel: options.perChannel ?? true, reduceRange }
        : { blockSize: options.blockSize ?? 32, accuracyLevel: options.accuracyLevel ?? 4 }),
      layers: report.quantized.length,
    }),
  });
  report.status = 'quantized';
  return report;
}

/** Fused `com.microsoft.Attention` nodes (from `botlens optimize`) become `QAttention` at 8 bits. */
function quantizeFusedAttention(
  graph: GraphProto,
  options: QuantizeModelOptions,
  range: ReduceRangeChoice,
  names: NameAllocator,
  replaced: Map<NodeProto, Replacement>,
  report: ModelQuantizeReport,
): void {
  for (const n of graph.node) {
    if (n.op_type !== 'Attention' || n.domain !== MS_DOMAIN) continue;
    const label = n.name || n.output[0] || '';
    const excluded = (options.exclude ?? []).find((p) =>
      typeof p === 'string' ? p === label : p.test(label),
    );
    if (excluded !== undefined) {
      report.kept.push({
        node: label,
        op: 'com.microsoft.Attention',
        reason: `excluded by ${String(excluded)}`,
      });
      continue;
    }
    const r = quantizeAttentionInt8(
      graph,
      n,
      { perChannel: options.perChannel ?? true, reduceRange: range.reduceRange },
      names,
    );
    if (!r) continue;
    replaced.set(n, { nodes: r.nodes, tensors: r.tensors, bytes: r.bytesAfter });
    report.bytesBefore += r.bytesBefore;
    report.bytesAfter += r.bytesAfter;
    report.quantized.push({ node: label, module: undefined, op: 'Attention', shape: r.shape });
  }
}

function warnUnknownOperators(graph: GraphProto, report: ModelQuantizeReport): void {
  let nested = 0;
  const countNested = (g: GraphProto) => {
    for (const n of g.node) {
      if ((n.op_type === 'MatMul' || n.op_type === 'Gemm') && (n.domain ?? '') === '') nested++;
      for (const a of n.attribute) for (const sub of [...(a.g ? [a.g] : []), ...a.graphs]) countNested(sub);
    }
  };
  for (const n of graph.node)
    for (const a of n.attribute) for (const sub of [...(a.g ? [a.g] : []), ...a.graphs]) countNested(sub);
  if (nested > 0) {
    report.warnings.push(
      `${nested} MatMul/Gemm node(s) inside If/Loop/Scan subgraphs (e.g. a merged decoder) are not quantized and stay float32; quantize the separate decoder files instead.`,
    );
  }
  const counts = new Map<string, number>();
  for (const n of graph.node) {
    const d = n.domain ?? '';
    if (KNOWN_DOMAINS.has(d) || FUSED_OPS.has(`${d}.${n.op_type}`)) continue;
    const key = `${d}.${n.op_type}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [op, count] of counts) {
    report.warnings.push(
      `Operator ${op} (${count} node${count > 1 ? 's' : ''}) is not one botlens quantizes; it was left as it is (any weights inside it stay float32).`,
    );
  }
}
