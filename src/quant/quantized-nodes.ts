import { consumerMap, MS_DOMAIN, usedValueNames } from '../onnx/graph-edit.js';
import { type AttributeValue, makeNode } from '../onnx/onnx-build.js';
import { getIntAttribute, type NameAllocator } from '../onnx/onnx-graph.js';
import { float32Tensor, rawTensor, tensorToFloat32 } from '../onnx/onnx-tensor.js';
import {
  type GraphProto,
  type NodeProto,
  type StringStringEntryProto,
  TensorDataType,
  type TensorProto,
} from '../onnx/onnx-types.js';
import { quantizeInt4Blockwise } from './int4.js';
import { quantizeInt8 } from './int8.js';
import { type LinearSite, weightKN } from './linear-sites.js';
import type { Int8Format, ModelQuantizeReport, QuantizeModelOptions } from './quantize-options.js';

/** New nodes and tensors that replace one site. */
export interface Replacement {
  nodes: NodeProto[];
  tensors: TensorProto[];
  bytes: number;
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

export function int8Replacement(
  site: LinearSite,
  options: QuantizeModelOptions,
  format: Int8Format,
  reduceRange: boolean,
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
    // Signed weights: ONNX Runtime's u8s8 kernels use AVX-512 VNNI (uint8 x int8) directly; the same weights
    // stored as uint8 run its u8u8 kernels, about 1.9x the CPU time of the whole q8 encoder (bench/optimize.ts).
    // Without VNNI the u8s8 kernels saturate on full-range weights: `reduceRange` keeps them to 7 bits.
    const q = quantizeInt8(weightKN(site), [K, N], {
      type: 'int8',
      symmetric,
      reduceRange,
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

export function int4Replacement(
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
export function quantizeEmbeddings(
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
export function removeDeadTransposes(graph: GraphProto, candidates: (NodeProto | undefined)[]): void {
  const dead = new Set(candidates.filter((n): n is NodeProto => n !== undefined));
  if (dead.size === 0) return;
  const used = usedValueNames(graph);
  graph.node = graph.node.filter((n) => !(dead.has(n) && n.output.every((o) => !used.has(o))));
}
