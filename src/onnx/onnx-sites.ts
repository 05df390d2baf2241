import { AdapterError } from '../errors/adapter-error.js';
import {
  consumersOf,
  getFloatAttribute,
  getIntAttribute,
  nodeModuleScope,
  producerOf,
} from './onnx-graph.js';
import { findInitializer } from './onnx-model.js';
import { tensorToFloat32 } from './onnx-tensor.js';
import { type GraphProto, type NodeProto, TensorDataType, type TensorProto } from './onnx-types.js';

/**
 * Where the weight of a PyTorch `nn.Linear` lives in an exported ONNX graph.
 *
 * `layout` says how the stored initializer is oriented: `out-in` is PyTorch's [out, in] (used through a
 * `Gemm` with `transB=1` or a `Transpose`), `in-out` is [in, out] (used directly by `MatMul`, as the
 * `onnx::MatMul_NNN` initializers of hub exports are).
 */
export interface LinearSite {
  /** The module, e.g. `bert.encoder.layer.0.attention.self.query`. */
  module: string;
  /** The weight initializer. */
  weight: TensorProto;
  /** How `weight` is oriented. */
  layout: 'out-in' | 'in-out';
  /** Input features. */
  inFeatures: number;
  /** Output features. */
  outFeatures: number;
  /** The nodes that read the weight for this module, with the input slot. */
  weightUses: { node: NodeProto; index: number }[];
  /** The MatMul or Gemm node. */
  node: NodeProto;
  /** The bias: the node and input slot that add it, and the tensor when one is there. */
  bias: { node: NodeProto; index: number; tensor: TensorProto | undefined } | undefined;
}

const FLOAT_TYPES = new Set<number>([
  TensorDataType.FLOAT,
  TensorDataType.FLOAT16,
  TensorDataType.BFLOAT16,
  TensorDataType.DOUBLE,
]);

function isInit(graph: GraphProto, name: string | undefined): TensorProto | undefined {
  return name ? findInitializer(graph, name) : undefined;
}

/** For a MatMul/Gemm node, the weight behind input 1: directly an initializer, or an initializer through Transpose. */
function weightBehind(
  graph: GraphProto,
  node: NodeProto,
): { tensor: TensorProto; transposed: boolean; use: { node: NodeProto; index: number } } | undefined {
  const name = node.input[1];
  const direct = isInit(graph, name);
  if (direct) return { tensor: direct, transposed: false, use: { node, index: 1 } };
  const tr = name ? producerOf(graph, name) : undefined;
  if (tr?.op_type === 'Transpose') {
    const t = isInit(graph, tr.input[0]);
    if (t && t.dims.length === 2) return { tensor: t, transposed: true, use: { node: tr, index: 0 } };
  }
  return undefined;
}

function quantizedHint(graph: GraphProto, node: NodeProto): boolean {
  const name = node.input[1];
  const p = name ? producerOf(graph, name) : undefined;
  return (
    p?.op_type === 'DequantizeLinear' ||
    /MatMulInteger|MatMulNBits|QLinear|DynamicQuantize/.test(node.op_type ?? '')
  );
}

function biasOf(graph: GraphProto, node: NodeProto, outFeatures: number): LinearSite['bias'] {
  if (node.op_type === 'Gemm') {
    return { node, index: 2, tensor: isInit(graph, node.input[2]) };
  }
  const out = node.output[0];
  if (!out) return undefined;
  const users = consumersOf(graph, out);
  if (users.length !== 1 || users[0]!.op_type !== 'Add') return undefined;
  const add = users[0]!;
  const idx = add.input[0] === out ? 1 : 0;
  const t = isInit(graph, add.input[idx]);
  if (t?.dims.length !== 1 || t.dims[0] !== outFeatures) return undefined;
  return { node: add, index: idx, tensor: t };
}

function siteFrom(graph: GraphProto, module: string, node: NodeProto): LinearSite | undefined {
  const w = weightBehind(graph, node);
  if (w?.tensor.dims.length !== 2) return undefined;
  if (!FLOAT_TYPES.has(w.tensor.data_type ?? 0)) return undefined;
  let layout: LinearSite['layout'];
  if (node.op_type === 'Gemm') {
    if (getIntAttribute(node, 'transA', 0) !== 0) return undefined;
    const transB = getIntAttribute(node, 'transB', 0) !== 0;
    layout = transB !== w.transposed ? 'out-in' : 'in-out';
  } else {
    layout = w.transposed ? 'out-in' : 'in-out';
  }
  const [d0, d1] = w.tensor.dims as [number, number];
  const [outFeatures, inFeatures] = layout === 'out-in' ? [d0, d1] : [d1, d0];
  return {
    module,
    weight: w.tensor,
    layout,
    inFeatures,
    outFeatures,
    weightUses: [w.use],
    node,
    bias: biasOf(graph, node, outFeatures),
  };
}

/**
 * Finds the weight (and bias) of the PyTorch Linear module `module` in an exported graph: by an initializer
 * carrying the PyTorch name `<module>.weight`, else by the MatMul/Gemm node exported from that module (dynamo
 * exporter scope metadata, or a TorchScript node name like `/bert/encoder/layer.0/attention/self/query/MatMul`).
 * Returns `undefined` when the graph has no such module.
 *
 * @param graph - the graph
 * @param module - full module name
 * @throws AdapterError (`ADAPTER_UNSUPPORTED`) when the module's weight is quantized
 *
 * @example
 * ```ts
 * const site = findLinearSite(model.graph!, 'classifier');
 * site?.layout; // 'out-in' (Gemm with transB=1)
 * ```
 */
export function findLinearSite(graph: GraphProto, module: string): LinearSite | undefined {
  const named = findInitializer(graph, `${module}.weight`);
  if (named) {
    for (const user of consumersOf(graph, named.name!)) {
      if ((user.op_type === 'MatMul' || user.op_type === 'Gemm') && user.input[1] === named.name) {
        const s = siteFrom(graph, module, user);
        if (s) return withSharedUses(graph, s);
      }
      if (user.op_type === 'Transpose') {
        for (const mm of consumersOf(graph, user.output[0] ?? '')) {
          if ((mm.op_type === 'MatMul' || mm.op_type === 'Gemm') && mm.input[1] === user.output[0]) {
            const s = siteFrom(graph, module, mm);
            if (s) return withSharedUses(graph, s);
          }
        }
      }
    }
  }
  const nodes = graph.node.filter(
    (n) =>
      nodeModuleScope(n) === module &&
      (n.op_type === 'MatMul' || n.op_type === 'Gemm' || quantizedHint(graph, n)),
  );
  const sites: LinearSite[] = [];
  for (const n of nodes) {
    if (quantizedHint(graph, n)) {
      throw new AdapterError(
        'ADAPTER_UNSUPPORTED',
        `Module "${module}" is quantized in the base model (${n.op_type}): merge into the fp32 model, then quantize the result.`,
        { module },
      );
    }
    const s = siteFrom(graph, module, n);
    if (s) sites.push(s);
  }
  if (sites.length === 0) return undefined;
  const first = sites[0]!;
  for (const s of sites.slice(1)) {
    if (s.weight !== first.weight) {
      throw new AdapterError(
        'ADAPTER_MISMATCH',
        `Module "${module}" maps to ${sites.length} different weights in the ONNX graph; cannot tell which to change.`,
        {
          module,
        },
      );
    }
    first.weightUses.push(...s.weightUses);
  }
  return first;
}

/** When the named weight feeds several MatMuls of the same module (a module called twice), record them all. */
function withSharedUses(graph: GraphProto, site: LinearSite): LinearSite {
  const uses = new Map<NodeProto, number>(site.weightUses.map((u) => [u.node, u.index]));
  for (const n of graph.node) {
    if (uses.has(n) || nodeModuleScope(n) !== site.module) continue;
    const i = n.input.indexOf(site.weight.name ?? '');
    if (i >= 0) uses.set(n, i);
  }
  site.weightUses = [...uses.entries()].map(([node, index]) => ({ node, index }));
  return site;
}

/**
 * The weight of a Linear site as PyTorch's [out, in] row-major matrix (a new array).
 *
 * @param site - from {@link findLinearSite}
 */
export function linearWeightOutIn(site: LinearSite): Float32Array {
  const w = tensorToFloat32(site.weight);
  if (site.layout === 'out-in') return w;
  const { inFeatures: I, outFeatures: O } = site;
  const out = new Float32Array(O * I);
  for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) out[o * I + i] = w[i * O + o]!;
  return out;
}

/**
 * The bias of a Linear site (zeros when the export dropped an all-zero bias).
 *
 * @param site - from {@link findLinearSite}
 */
export function linearBias(site: LinearSite): Float32Array {
  return site.bias?.tensor ? tensorToFloat32(site.bias.tensor) : new Float32Array(site.outFeatures);
}

/** Where a LayerNorm's scale and bias live. */
export interface LayerNormSite {
  /** The module. */
  module: string;
  /** The LayerNormalization node. */
  node: NodeProto;
  /** Its `epsilon` attribute. */
  epsilon: number;
}

/**
 * Finds the LayerNormalization node exported from `module` (by scope metadata or node name).
 *
 * @param graph - the graph
 * @param module - e.g. `bert.encoder.layer.1.output.LayerNorm`
 */
export function findLayerNormSite(graph: GraphProto, module: string): LayerNormSite | undefined {
  const nodes = graph.node.filter((n) => n.op_type === 'LayerNormalization' && nodeModuleScope(n) === module);
  if (nodes.length !== 1) return undefined;
  const node = nodes[0]!;
  const eps = getFloatAttribute(node, 'epsilon', 1e-5);
  return { module, node, epsilon: eps };
}
