import { consumerMap } from '../onnx/graph-edit.js';
import { getAttribute, getFloatAttribute, getIntAttribute, nodeModuleScope } from '../onnx/onnx-graph.js';
import { tensorToFloat32 } from '../onnx/onnx-tensor.js';
import { type GraphProto, type NodeProto, TensorDataType, type TensorProto } from '../onnx/onnx-types.js';

/**
 * One linear layer found in a graph: a `MatMul` or `Gemm` whose weight is a constant float32 matrix.
 */
export interface LinearSite {
  /** The MatMul or Gemm node. */
  node: NodeProto;
  /** Its operator. */
  op: 'MatMul' | 'Gemm';
  /** The activation input. */
  input: string;
  /** The value the layer produces: the node's output, or that of a bias `Add` folded into it. */
  output: string;
  /** The weight initializer. */
  weight: TensorProto;
  /** `kn` when the stored weight is `[K, N]` (MatMul, Gemm transB=0), `nk` when it is `[N, K]`. */
  layout: 'kn' | 'nk';
  /** Input features. */
  K: number;
  /** Output features. */
  N: number;
  /** A constant bias (Gemm `C`, or the `Add` after a MatMul when folding), length N. */
  bias: TensorProto | undefined;
  /** The bias `Add` node whose job the quantized node takes over (removed on rewrite). */
  foldedAdd: NodeProto | undefined;
  /** A `Transpose` that turns the stored `[N, K]` weight into the MatMul's `[K, N]` input, if any. */
  transpose: NodeProto | undefined;
  /** The PyTorch module, when the exporter recorded it (e.g. `bert.encoder.layer.0.attention.self.query`). */
  module: string | undefined;
  /** True when the layer writes a graph output directly (a classifier, LM head or projection). */
  isHead: boolean;
}

/** A MatMul/Gemm that looked like a linear layer but is left as it is, and why. */
export interface KeptNode {
  /** Node name (or its first output when unnamed). */
  node: string;
  /** Operator type, with its domain when not ai.onnx. */
  op: string;
  /** Why it was not quantized. */
  reason: string;
}

/** Options for {@link findLinearSites}. */
export interface FindSitesOptions {
  /**
   * Fold a following `Add` of a constant bias vector into the site (for operators with a bias input).
   * @defaultValue false
   */
  foldBias?: boolean;
}

/** What {@link findLinearSites} found. */
export interface SiteScan {
  /** Linear layers that can be quantized. */
  sites: LinearSite[];
  /** MatMul/Gemm nodes with a constant weight that cannot be, with the reason. */
  kept: KeptNode[];
}

function label(node: NodeProto): string {
  return node.name || node.output[0] || '<unnamed>';
}

function isVectorOf(t: TensorProto | undefined, n: number): boolean {
  if (!t || t.data_type !== TensorDataType.FLOAT) return false;
  const len = t.dims.reduce((a, b) => a * b, 1);
  return len === n && t.dims.every((d, i) => i === t.dims.length - 1 || d === 1);
}

/**
 * Finds the linear layers of a graph: `MatMul` nodes whose right input is a 2-D float32 initializer (directly
 * or through a `Transpose`), and `Gemm` nodes with a constant 2-D float32 B, `alpha = 1`, `transA = 0` and a
 * constant bias (or none). Attention products (activation x activation) are not weights and are ignored;
 * weights of other types (float16, already integer) are reported in `kept`.
 *
 * @param graph - the graph (not modified)
 * @param options - bias folding
 * @returns the sites and the nodes kept as they are
 *
 * @example
 * ```ts
 * const { sites } = findLinearSites(model.graph!);
 * sites.map((s) => s.module); // ['bert.encoder.layer.0.attention.self.query', ...]
 * ```
 */
export function findLinearSites(graph: GraphProto, options: FindSitesOptions = {}): SiteScan {
  const inits = new Map<string, TensorProto>();
  for (const t of graph.initializer) if (t.name) inits.set(t.name, t);
  const producers = new Map<string, NodeProto>();
  for (const n of graph.node) for (const o of n.output) producers.set(o, n);
  const consumers = consumerMap(graph);
  const outputs = new Set(graph.output.map((o) => o.name ?? ''));
  const sites: LinearSite[] = [];
  const kept: KeptNode[] = [];

  for (const node of graph.node) {
    const op = node.op_type;
    if ((node.domain ?? '') !== '' || (op !== 'MatMul' && op !== 'Gemm')) continue;
    const [a, b] = node.input;
    if (!a || !b || node.output.length !== 1 || inits.has(a)) continue;
    let weight = inits.get(b);
    let layout: 'kn' | 'nk' = 'kn';
    let transpose: NodeProto | undefined;
    if (!weight) {
      const p = producers.get(b);
      const src = p?.input[0];
      if (p && p.op_type === 'Transpose' && (p.domain ?? '') === '' && src && inits.has(src)) {
        const perm = getAttribute(p, 'perm')?.ints ?? [1, 0];
        if (perm.length === 2 && perm[0] === 1 && perm[1] === 0) {
          weight = inits.get(src);
          layout = 'nk';
          transpose = p;
        }
      }
    }
    if (!weight) continue; // activation x activation (attention scores): not a weight
    if (weight.data_type !== TensorDataType.FLOAT) {
      kept.push({
        node: label(node),
        op,
        reason: `weight "${weight.name}" is ${typeName(weight.data_type)}, not float32`,
      });
      continue;
    }
    if (weight.dims.length !== 2) {
      kept.push({
        node: label(node),
        op,
        reason: `weight "${weight.name}" has ${weight.dims.length} dimensions, not 2`,
      });
      continue;
    }
    let bias: TensorProto | undefined;
    if (op === 'Gemm') {
      if (getIntAttribute(node, 'transA', 0) !== 0 || getFloatAttribute(node, 'alpha', 1) !== 1) {
        kept.push({ node: label(node), op, reason: 'Gemm with transA=1 or alpha != 1' });
        continue;
      }
      if (getIntAttribute(node, 'transB', 0) === 1) layout = 'nk';
      const c = node.input[2];
      if (c) {
        const N = layout === 'kn' ? weight.dims[1]! : weight.dims[0]!;
        bias = inits.get(c);
        if (!isVectorOf(bias, N) || getFloatAttribute(node, 'beta', 1) !== 1) {
          kept.push({
            node: label(node),
            op,
            reason: 'Gemm bias is not a constant float32 vector of length N with beta = 1',
          });
          continue;
        }
      }
    }
    const [r, c] = weight.dims as [number, number];
    const K = layout === 'kn' ? r : c;
    const N = layout === 'kn' ? c : r;
    let output = node.output[0]!;
    let foldedAdd: NodeProto | undefined;
    if (options.foldBias && !bias && !outputs.has(output)) {
      const users = consumers.get(output) ?? [];
      const add = users[0];
      if (
        users.length === 1 &&
        add &&
        add.op_type === 'Add' &&
        (add.domain ?? '') === '' &&
        add.output.length === 1
      ) {
        const other = add.input[0] === output ? add.input[1] : add.input[0];
        const t = other ? inits.get(other) : undefined;
        if (add.input.length === 2 && add.input[0] !== add.input[1] && isVectorOf(t, N)) {
          bias = t;
          foldedAdd = add;
          output = add.output[0]!;
        }
      }
    }
    sites.push({
      node,
      op,
      input: a,
      output,
      weight,
      layout,
      K,
      N,
      bias,
      foldedAdd,
      transpose,
      module: nodeModuleScope(node),
      isHead: outputs.has(output) || outputs.has(node.output[0]!),
    });
  }
  return { sites, kept };
}

/**
 * The site's weight as a `[K, N]` float32 matrix (the MatMul right-hand side), transposing a `[N, K]` one.
 *
 * @param site - a site from {@link findLinearSites}
 */
export function weightKN(site: LinearSite): Float32Array {
  const w = tensorToFloat32(site.weight);
  if (site.layout === 'kn') return w;
  const { K, N } = site;
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[k * N + n] = w[n * K + k]!;
  return out;
}

const TYPE_NAMES: Record<number, string> = {
  [TensorDataType.FLOAT16]: 'float16',
  [TensorDataType.BFLOAT16]: 'bfloat16',
  [TensorDataType.DOUBLE]: 'float64',
  [TensorDataType.INT8]: 'int8 (already quantized)',
  [TensorDataType.UINT8]: 'uint8 (already quantized)',
  [TensorDataType.INT4]: 'int4 (already quantized)',
  [TensorDataType.UINT4]: 'uint4 (already quantized)',
};

function typeName(code: number | undefined): string {
  return TYPE_NAMES[code ?? 0] ?? `element type ${code ?? 'undefined'}`;
}

/**
 * True when `pattern` names this site: a RegExp tested against the module, node, weight and output names, or a
 * string equal to one of them or matching whole dotted segments of the module path (`'classifier'`,
 * `'attention.self.query'`, `'layer.0'`).
 *
 * @param site - the site
 * @param pattern - a name or a RegExp
 */
export function siteMatches(site: LinearSite, pattern: string | RegExp): boolean {
  const names = [site.module, site.node.name, site.weight.name, site.output].filter((x): x is string => !!x);
  if (pattern instanceof RegExp) return names.some((n) => pattern.test(n));
  if (names.includes(pattern)) return true;
  const m = site.module;
  if (!m) return false;
  return m.endsWith(`.${pattern}`) || m.startsWith(`${pattern}.`) || m.includes(`.${pattern}.`);
}
