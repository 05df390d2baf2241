import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { consumerMap, ensureOpset, MS_DOMAIN, pruneGraph, usedValueNames } from '../onnx/graph-edit.js';
import { type AttributeValue, makeNode } from '../onnx/onnx-build.js';
import { getIntAttribute, NameAllocator } from '../onnx/onnx-graph.js';
import { float32Tensor, rawTensor, tensorToFloat32 } from '../onnx/onnx-tensor.js';
import {
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type StringStringEntryProto,
  TensorDataType,
  type TensorProto,
} from '../onnx/onnx-types.js';
import { type Int4BlockSize, quantizeInt4Blockwise } from './int4.js';
import { quantizeInt8 } from './int8.js';
import { findLinearSites, type KeptNode, type LinearSite, siteMatches, weightKN } from './linear-sites.js';

/**
 * How 8-bit layers are written:
 * - `dynamic-matmul`: one `com.microsoft.DynamicQuantizeMatMul` node per layer (activations quantized to uint8
 *   on the fly, per-channel int8 weights pre-packed by ONNX Runtime, bias fused). ONNX Runtime only.
 * - `matmul-integer`: standard ONNX operators, the pattern of ONNX Runtime's `quantize_dynamic`
 *   (`DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul`), one `DynamicQuantizeLinear` per layer so that
 *   ONNX Runtime's optimizer can fuse each chain into `DynamicQuantizeMatMul` when the session is created.
 */
export type Int8Format = 'dynamic-matmul' | 'matmul-integer';

/** Options for `quantizeOnnxModel`. */
export interface QuantizeModelOptions {
  /** 8: dynamic int8 quantization (`dtype: 'q8'`); 4: block-wise 4-bit weights through `MatMulNBits` (`dtype: 'q4'`). */
  bits: 8 | 4;
  /**
   * 4-bit only: input features per block (one scale, and zero point when asymmetric, per block).
   * @defaultValue 32
   */
  blockSize?: Int4BlockSize;
  /**
   * Symmetric weights (no zero points). ONNX Runtime recommends symmetric signed int8 weights for transformers.
   * @defaultValue true
   */
  symmetric?: boolean;
  /**
   * 8-bit only: one scale per output channel instead of one per matrix. More accurate at no cost in speed.
   * @defaultValue true
   */
  perChannel?: boolean;
  /**
   * Layers to keep in float32: module names (whole dotted segments, e.g. `'attention.self.query'`, `'layer.0'`),
   * node, weight or output names, or RegExps tested against those names.
   * @defaultValue []
   */
  exclude?: readonly (string | RegExp)[];
  /**
   * Also quantize layers that write a graph output directly (classifier, LM head, CLIP projection).
   * @defaultValue false
   */
  quantizeHead?: boolean;
  /**
   * Also store embedding tables (`Gather` of a float32 matrix) as int8 with one scale per hidden unit,
   * dequantized after the lookup. Tables shared with another layer (tied LM heads) stay float32.
   * @defaultValue false
   */
  quantizeEmbeddings?: boolean;
  /**
   * 8-bit only: the operators used; see {@link Int8Format}. Both run at the same speed in ONNX Runtime 1.30 (it
   * fuses the standard pattern at session creation); `matmul-integer` also loads in runtimes without
   * ONNX Runtime's contrib operators.
   * @defaultValue 'matmul-integer'
   */
  int8Format?: Int8Format;
  /**
   * 4-bit only: `MatMulNBits` `accuracy_level`: 0 leaves the choice to ONNX Runtime (float compute), 4 quantizes
   * activations to int8 and uses integer dot products (fast with AVX-512 VNNI / AVX-VNNI).
   * @defaultValue 4
   */
  accuracyLevel?: 0 | 1 | 2 | 3 | 4;
  /** Cancels the work between layers. */
  signal?: AbortSignal;
}

/** One layer that was quantized. */
export interface QuantizedLayer {
  /** Name of the original node. */
  node: string;
  /** The PyTorch module, when known. */
  module: string | undefined;
  /** Original operator (`MatMul`, `Gemm` or `Gather` for an embedding table). */
  op: string;
  /** Weight shape as `[K, N]` (input, output features); `[rows, dim]` for an embedding table. */
  shape: [number, number];
}

/** What `quantizeOnnxModel` did. */
export interface ModelQuantizeReport {
  /**
   * `quantized` when at least one layer was rewritten; `already-quantized` when the model holds quantized
   * operators and was left untouched; `nothing-to-quantize` when no eligible layer was found.
   */
  status: 'quantized' | 'already-quantized' | 'nothing-to-quantize';
  /** The layers rewritten. */
  quantized: QuantizedLayer[];
  /** MatMul/Gemm (and other weight-bearing) nodes kept in float32, with the reason. */
  kept: KeptNode[];
  /** Things a person should know: unknown operators, an already-quantized model. */
  warnings: string[];
  /** Bytes of the float32 weights that were quantized. */
  bytesBefore: number;
  /** Bytes of the quantized weights, scales and zero points that replaced them. */
  bytesAfter: number;
}

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
    throw new InvalidOptionsError('bits', `expected 8 or 4, got ${String(o.bits)}`);
  if (o.blockSize !== undefined && ![16, 32, 64, 128, 256].includes(o.blockSize)) {
    throw new InvalidOptionsError('blockSize', `expected 16, 32, 64, 128 or 256, got ${String(o.blockSize)}`);
  }
  if (o.int8Format !== undefined && o.int8Format !== 'dynamic-matmul' && o.int8Format !== 'matmul-integer') {
    throw new InvalidOptionsError(
      'int8Format',
      `expected 'dynamic-matmul' or 'matmul-integer', got ${JSON.stringify(o.int8Format)}`,
    );
  }
  if (o.accuracyLevel !== undefined && ![0, 1, 2, 3, 4].includes(o.accuracyLevel)) {
    throw new InvalidOptionsError(
      'accuracyLevel',
      `expected an integer 0 to 4, got ${String(o.accuracyLevel)}`,
    );
  }
  for (const p of o.exclude ?? []) {
    if (typeof p !== 'string' && !(p instanceof RegExp)) {
      throw new InvalidOptionsError('exclude', 'expected an array of names (strings) or RegExps');
    }
  }
}

/** New nodes and tensors that replace one site. */
interface Replacement {
  nodes: NodeProto[];
  tensors: TensorProto[];
  bytes: number;
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
 * @throws InvalidOptionsError on bad options; AbortedError when `signal` fires
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
  };
  const graph = model.graph;
  if (!graph) throw new InvalidOptionsError('model', 'the model has no graph');
  const already = alreadyQuantized(model);
  if (already) {
    report.status = 'already-quantized';
    report.warnings.push(`The model is already quantized (${already}); it was left as it is.`);
    return report;
  }
  warnUnknownOperators(graph, report);

  const bits = options.bits;
  const int8Format = options.int8Format ?? 'matmul-integer';
  const foldBias = bits === 4 || int8Format === 'dynamic-matmul';
  const { sites, kept } = findLinearSites(graph, { foldBias });
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
        ? int8Replacement(site, options, int8Format, names, weightCache)
        : int4Replacement(site, options, names, weightCache);
    replaced.set(site.node, rep);
    if (site.foldedAdd) removed.add(site.foldedAdd);
    // A weight shared by several layers is quantized (and counted) once.
    if (rep.tensors.length > 0) report.bytesBefore += 4 * site.K * site.N;
    report.bytesAfter += rep.bytes;
    report.quantized.push({ node: label, module: site.module, op: site.op, shape: [site.K, site.N] });
  }

  if (options.quantizeEmbeddings) quantizeEmbeddings(graph, names, replaced, report);

  if (replaced.size === 0) {
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
        ? { format: int8Format, perChannel: options.perChannel ?? true }
        : { blockSize: options.blockSize ?? 32, accuracyLevel: options.accuracyLevel ?? 4 }),
      layers: report.quantized.length,
    }),
  });
  report.status = 'quantized';
  return report;
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
    if (KNOWN_DOMAINS.has(d)) continue;
    const key = `${d}.${n.op_type}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [op, count] of counts) {
    report.warnings.push(
      `Operator ${op} (${count} node${count > 1 ? 's' : ''}) is not one botlens quantizes; it was left as it is (any weights inside it stay float32).`,
    );
  }
}

/** Metadata keys naming the float input and output of a quantized linear layer (for LoRA side branches). */
export const LINEAR_INPUT_KEY = 'botlens.linear.input';
/** See {@link LINEAR_INPUT_KEY}. */
export const LINEAR_OUTPUT_KEY = 'botlens.linear.output';

function node(
  op: string,
  inputs: string[],
  outputs: string[],
  name: string,
  extra: {
    domain?: string;
    attributes?: Record<string, AttributeValue>;
    metadata?: StringStringEntryProto[];
  } = {},
): NodeProto {
  const n = makeNode(op, inputs, outputs, {
    name,
    ...(extra.domain ? { domain: extra.domain } : {}),
    attributes: extra.attributes ?? {},
  });
  if (extra.metadata) n.metadata_props = extra.metadata.map((e) => ({ ...e }));
  return n;
}

/** The original node's metadata plus where the layer's float input and output are. */
function siteMetadata(site: LinearSite): StringStringEntryProto[] {
  const keep = site.node.metadata_props.filter(
    (e) => e.key !== LINEAR_INPUT_KEY && e.key !== LINEAR_OUTPUT_KEY,
  );
  return [
    ...keep,
    { key: LINEAR_INPUT_KEY, value: site.input },
    { key: LINEAR_OUTPUT_KEY, value: site.output },
  ];
}

/** The bytes of an 8-bit array (a view on the same memory, not a copy). */
function bytesOf(a: Int8Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function trimInputs(inputs: string[]): string[] {
  let end = inputs.length;
  while (end > 0 && inputs[end - 1] === '') end--;
  return inputs.slice(0, end);
}

function int8Replacement(
  site: LinearSite,
  options: QuantizeModelOptions,
  format: Int8Format,
  names: NameAllocator,
  cache: Map<string, { inputs: string[]; tensors: TensorProto[]; bytes: number }>,
): Replacement {
  const symmetric = options.symmetric ?? true;
  const perChannel = options.perChannel ?? true;
  const { K, N } = site;
  const key = `${site.weight.name}|${site.layout}`;
  let w = cache.get(key);
  const tensors: TensorProto[] = [];
  if (!w) {
    const q = quantizeInt8(weightKN(site), [K, N], {
      type: 'int8',
      symmetric,
      ...(perChannel ? { axis: 1 } : {}),
    });
    const base = site.weight.name ?? 'weight';
    const qName = names.take(`${base}_quantized`);
    const sName = names.take(`${base}_scale`);
    const sDims = perChannel ? [N] : [];
    const made = [
      rawTensor(qName, [K, N], TensorDataType.INT8, bytesOf(q.data)),
      float32Tensor(sName, sDims, q.scales),
    ];
    const inputs = [qName, sName];
    if (!symmetric) {
      const zName = names.take(`${base}_zero_point`);
      made.push(rawTensor(zName, sDims, TensorDataType.INT8, bytesOf(q.zeroPoints)));
      inputs.push(zName);
    }
    w = { inputs, tensors: made, bytes: made.reduce((s, t) => s + (t.raw_data?.byteLength ?? 0), 0) };
    cache.set(key, w);
    tensors.push(...made);
  }
  const [qName, sName, zName] = w.inputs as [string, string, string | undefined];
  const base = site.node.name || site.output;
  const metadata = siteMetadata(site);
  const bias = site.bias?.name ?? '';
  if (format === 'dynamic-matmul') {
    const n = node(
      'DynamicQuantizeMatMul',
      trimInputs([site.input, qName, sName, zName ?? '', bias]),
      [site.output],
      names.take(`${base}_quant`),
      { domain: MS_DOMAIN, metadata },
    );
    return { nodes: [n], tensors, bytes: tensors.length > 0 ? w.bytes : 0 };
  }
  // Standard-operator pattern; ONNX Runtime fuses it into DynamicQuantizeMatMul at session creation.
  const xq = names.take(`${base}_input_quantized`);
  const xs = names.take(`${base}_input_scale`);
  const xz = names.take(`${base}_input_zero_point`);
  const yi = names.take(`${base}_output_int32`);
  const yf = names.take(`${base}_output_float`);
  const sc = names.take(`${base}_scales`);
  const y = site.bias ? names.take(`${base}_output_unbiased`) : site.output;
  const nodes = [
    node('DynamicQuantizeLinear', [site.input], [xq, xs, xz], names.take(`${base}_QuantizeLinear`)),
    node('MatMulInteger', trimInputs([xq, qName, xz, zName ?? '']), [yi], names.take(`${base}_quant`), {
      metadata,
    }),
    node('Cast', [yi], [yf], names.take(`${base}_cast`), { attributes: { to: TensorDataType.FLOAT } }),
    node('Mul', [xs, sName], [sc], names.take(`${base}_scales_mul`)),
    node('Mul', [yf, sc], [y], names.take(`${base}_output_scale_mul`)),
  ];
  if (site.bias)
    nodes.push(node('Add', [y, site.bias.name ?? ''], [site.output], names.take(`${base}_bias_add`)));
  return { nodes, tensors, bytes: tensors.length > 0 ? w.bytes : 0 };
}

function int4Replacement(
  site: LinearSite,
  options: QuantizeModelOptions,
  names: NameAllocator,
  cache: Map<string, { inputs: string[]; tensors: TensorProto[]; bytes: number }>,
): Replacement {
  const blockSize = options.blockSize ?? 32;
  const symmetric = options.symmetric ?? true;
  const accuracyLevel = options.accuracyLevel ?? 4;
  const { K, N } = site;
  const key = `${site.weight.name}|${site.layout}`;
  let w = cache.get(key);
  const tensors: TensorProto[] = [];
  if (!w) {
    const q = quantizeInt4Blockwise(tensorToFloat32(site.weight), K, N, {
      blockSize,
      symmetric,
      layout: site.layout,
    });
    const base = site.weight.name ?? 'weight';
    const bName = names.take(`${base}_Q4`);
    const sName = names.take(`${base}_scales`);
    const made = [
      rawTensor(bName, [N, q.blocksPerColumn, blockSize / 2], TensorDataType.UINT8, q.packed),
      float32Tensor(sName, [N, q.blocksPerColumn], q.scales),
    ];
    const inputs = [bName, sName];
    if (q.zeroPoints) {
      const zName = names.take(`${base}_zero_points`);
      made.push(rawTensor(zName, [N, Math.ceil(q.blocksPerColumn / 2)], TensorDataType.UINT8, q.zeroPoints));
      inputs.push(zName);
    }
    w = { inputs, tensors: made, bytes: made.reduce((s, t) => s + (t.raw_data?.byteLength ?? 0), 0) };
    cache.set(key, w);
    tensors.push(...made);
  }
  const [bName, sName, zName] = w.inputs as [string, string, string | undefined];
  const attributes: Record<string, AttributeValue> = { K, N, bits: 4, block_size: blockSize };
  if (accuracyLevel > 0) attributes['accuracy_level'] = accuracyLevel;
  const base = site.node.name || site.output;
  const n = node(
    'MatMulNBits',
    trimInputs([site.input, bName, sName, zName ?? '', '', site.bias?.name ?? '']),
    [site.output],
    names.take(`${base}_Q4`),
    { domain: MS_DOMAIN, attributes, metadata: siteMetadata(site) },
  );
  return { nodes: [n], tensors, bytes: tensors.length > 0 ? w.bytes : 0 };
}

/** Stores `Gather` tables as int8 (one scale per hidden unit) followed by `DequantizeLinear`. */
function quantizeEmbeddings(
  graph: GraphProto,
  names: NameAllocator,
  replaced: Map<NodeProto, Replacement>,
  report: ModelQuantizeReport,
): void {
  const users = consumerMap(graph);
  for (const g of graph.node) {
    if (g.op_type !== 'Gather' || (g.domain ?? '') !== '' || replaced.has(g)) continue;
    const table = graph.initializer.find((t) => t.name === g.input[0]);
    if (!table || table.data_type !== TensorDataType.FLOAT || table.dims.length !== 2) continue;
    if (getIntAttribute(g, 'axis', 0) !== 0) continue;
    const label = g.name || g.output[0] || '';
    if ((users.get(table.name ?? '') ?? []).length > 1) {
      report.kept.push({
        node: label,
        op: 'Gather',
        reason: `table "${table.name}" is shared with another node (tied weights)`,
      });
      continue;
    }
    const [V, H] = table.dims as [number, number];
    const q = quantizeInt8(tensorToFloat32(table), [V, H], { type: 'int8', symmetric: true, axis: 1 });
    const base = table.name ?? 'embedding';
    const qName = names.take(`${base}_quantized`);
    const sName = names.take(`${base}_scale`);
    const zName = names.take(`${base}_zero_point`);
    const gathered = names.take(`${g.output[0]}_quantized`);
    const tensors = [
      rawTensor(qName, [V, H], TensorDataType.INT8, bytesOf(q.data)),
      float32Tensor(sName, [H], q.scales),
      rawTensor(zName, [H], TensorDataType.INT8, new Uint8Array(H)),
    ];
    const nodes = [
      node('Gather', [qName, g.input[1] ?? ''], [gathered], names.take(`${label}_quant`), {
        attributes: { axis: 0 },
        metadata: g.metadata_props,
      }),
      node(
        'DequantizeLinear',
        [gathered, sName, zName],
        [g.output[0] ?? ''],
        names.take(`${label}_DequantizeLinear`),
        {
          attributes: { axis: -1 },
        },
      ),
    ];
    const bytes = tensors.reduce((s, t) => s + (t.raw_data?.byteLength ?? 0), 0);
    replaced.set(g, { nodes, tensors, bytes });
    report.bytesBefore += 4 * V * H;
    report.bytesAfter += bytes;
    report.quantized.push({ node: label, module: undefined, op: 'Gather', shape: [V, H] });
  }
}

/** Drops the `Transpose` nodes of weights whose only reader was a quantized layer. */
function removeDeadTransposes(graph: GraphProto, candidates: (NodeProto | undefined)[]): void {
  const dead = new Set(candidates.filter((n): n is NodeProto => n !== undefined));
  if (dead.size === 0) return;
  const used = usedValueNames(graph);
  graph.node = graph.node.filter((n) => !(dead.has(n) && n.output.every((o) => !used.has(o))));
}
