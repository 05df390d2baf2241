import { MS_DOMAIN } from '../../onnx/graph-edit.js';
import { makeNode } from '../../onnx/onnx-build.js';
import { float32Tensor, tensorToFloat32 } from '../../onnx/onnx-tensor.js';
import type { GraphProto, NodeProto } from '../../onnx/onnx-types.js';
import { GraphIndex, intsAttribute } from './graph-index.js';

/** One linear projection feeding attention: `x @ weight + bias`, split into heads. */
interface Projection {
  /** The projection's input (the hidden states). */
  input: string;
  /** Weight initializer, [hidden, hidden] in `x @ W` layout. */
  weight: Float32Array;
  /** Bias, or zeros when the graph has none. */
  bias: Float32Array;
  /** Product of the scalar factors applied after the split into heads (`q * c`, `k / c`). */
  factor: number;
}

/** A matched self-attention block, ready to become one `com.microsoft.Attention` node. */
interface AttentionMatch {
  q: Projection;
  k: Projection;
  v: Projection;
  /** The value the block writes: [batch, seq, hidden] after merging heads. */
  output: string;
  /** The node that writes `output`; the fused node takes its place in the graph order. */
  last: NodeProto;
  /** The additive mask applied before the softmax: none, padding only, or padding + causal. */
  mask: MaskKind;
}

type MaskKind = 'none' | 'padding' | 'causal';

/** Options of {@link fuseAttention}. */
export interface FuseAttentionOptions {
  /** Attention heads per layer (`num_attention_heads` in config.json). */
  numHeads: number;
  /** The graph input holding the 0/1 padding mask. @defaultValue `'attention_mask'` */
  maskInput?: string;
}

/**
 * Rewrites every BERT-style self-attention block (three projections of one input, heads split by
 * Reshape+Transpose, scaled QKᵀ, additive padding mask, softmax, optional NaN guard, PV, heads merged) into one
 * `com.microsoft.Attention` node with packed QKV weights and a 2-D `mask_index` cast from the attention-mask
 * input. Written by hand because no maintained JavaScript library rewrites ONNX graphs; the patterns follow ONNX
 * Runtime's Python transformer optimizer. Returns how many blocks were fused; the caller prunes dead nodes and
 * must check the outputs numerically (see `verifyOptimized`).
 *
 * @param graph - the graph to edit in place
 * @param opts - head count and mask input
 */
export function fuseAttention(graph: GraphProto, opts: FuseAttentionOptions): number {
  const ix = new GraphIndex(graph);
  const matches: AttentionMatch[] = [];
  for (const n of graph.node) {
    if (n.op_type !== 'Softmax' || (n.domain ?? '') !== '') continue;
    const m = matchAttention(ix, n, opts.maskInput ?? 'attention_mask');
    if (m) matches.push(m);
  }
  if (matches.length === 0) return 0;
  const maskInput = opts.maskInput ?? 'attention_mask';
  const needsMask = matches.some((m) => m.mask !== 'none');
  const maskIndex = `${maskInput}_int32_for_attention`;
  if (needsMask) {
    graph.node.unshift(
      makeNode('Cast', [maskInput], [maskIndex], { name: `${maskIndex}_cast`, attributes: { to: 6 } }),
    );
  }
  matches.forEach((m, i) => {
    const hidden = m.q.bias.length;
    const wName = `attention_${i}_qkv_weight`;
    const bName = `attention_${i}_qkv_bias`;
    graph.initializer.push(float32Tensor(wName, [hidden, 3 * hidden], packWeights([m.q, m.k, m.v], hidden)));
    graph.initializer.push(float32Tensor(bName, [3 * hidden], concat([m.q.bias, m.k.bias, m.v.bias])));
    const fused = makeNode(
      'Attention',
      m.mask !== 'none' ? [m.q.input, wName, bName, maskIndex] : [m.q.input, wName, bName],
      [m.output],
      {
        name: `attention_${i}_fused`,
        domain: MS_DOMAIN,
        attributes: {
          num_heads: opts.numHeads,
          scale: m.q.factor * m.k.factor,
          unidirectional: m.mask === 'causal' ? 1 : 0,
        },
      },
    );
    graph.node[graph.node.indexOf(m.last)] = fused;
  });
  return matches.length;
}

function matchAttention(ix: GraphIndex, softmax: NodeProto, maskInput: string): AttentionMatch | undefined {
  if (!onLastAxis(softmax)) return undefined;
  // Before the softmax: scores (+ mask).
  let scores = softmax.input[0];
  let mask: MaskKind = 'none';
  const add = ix.producerOf(scores, 'Add');
  if (add) {
    const side = add.input.findIndex((v) => ix.producerOf(v, 'MatMul') !== undefined);
    if (side < 0) return undefined;
    const kind = maskKind(ix, add.input[1 - side] as string, maskInput);
    if (!kind) return undefined;
    scores = add.input[side];
    mask = kind;
  }
  const qk = ix.producerOf(scores, 'MatMul');
  if (!qk) return undefined;
  // After the softmax: optional IsNaN/Where guard, then probabilities @ V, heads merged.
  let probs = softmax.output[0] as string;
  const guard = guardedOutput(ix, probs);
  if (guard) probs = guard;
  const pv = ix.soleConsumer(probs, 'MatMul');
  if (!pv || pv.input[0] !== probs) return undefined;
  const merge = ix.soleConsumer(pv.output[0], 'Transpose');
  if (!merge || !samePerm(intsAttribute(merge, 'perm'), [0, 2, 1, 3])) return undefined;
  const last = ix.soleConsumer(merge.output[0], 'Reshape');
  if (!last) return undefined;
  const q = traceProjection(ix, qk.input[0]);
  const k = traceProjection(ix, qk.input[1]);
  const v = traceProjection(ix, pv.input[1]);
  if (!q || !k || !v) return undefined;
  if (q.input !== k.input || q.input !== v.input) return undefined;
  const hidden = q.bias.length;
  if (k.bias.length !== hidden || v.bias.length !== hidden || v.factor !== 1) return undefined;
  return { q, k, v, output: last.output[0] as string, last, mask };
}

/** Comparisons of positions that make a mask causal (key index ≤ query index) rather than padding-only. */
const CAUSAL_OPS = new Set(['LessOrEqual', 'Less', 'Trilu']);

/**
 * What an additive attention mask is made of: it must derive from `maskInput` alone (other inputs only through
 * `Shape`), and it is causal when positions are compared with ≤ / < (or a Trilu builds it). `undefined` when
 * the mask comes from anything else, so the block is left unfused.
 */
function maskKind(ix: GraphIndex, value: string, maskInput: string): MaskKind | undefined {
  const seen = new Set<string>();
  const stack = [value];
  let reachesMask = false;
  let causal = false;
  while (stack.length > 0) {
    const v = stack.pop() as string;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = ix.producer(v);
    if (!p) {
      if (v === maskInput) reachesMask = true;
      else if (!ix.initializer(v)) return undefined;
      continue;
    }
    if ((p.domain ?? '') !== '') return undefined;
    if (CAUSAL_OPS.has(p.op_type ?? '')) causal = true;
    if (p.op_type === 'Shape') continue;
    for (const i of p.input) if (i) stack.push(i);
  }
  if (!reachesMask) return undefined;
  return causal ? 'causal' : 'padding';
}

/** Softmax over the key axis: `axis` unset (-1 since opset 13), -1, or 3 of a 4-D tensor. */
function onLastAxis(n: NodeProto): boolean {
  const axis = n.attribute.find((a) => a.name === 'axis');
  if (!axis) return true;
  const i = Number(axis.i ?? 0);
  return i === -1 || i === 3;
}

/** `IsNaN(p)` + `Where(isnan, 0, p)`: the exporter's guard against fully masked rows. */
function guardedOutput(ix: GraphIndex, probs: string): string | undefined {
  const readers = ix.consumersOf(probs);
  const isNan = readers.find((r) => r.op_type === 'IsNaN');
  const where = readers.find((r) => r.op_type === 'Where');
  if (!isNan || !where || readers.length !== 2) return undefined;
  if (where.input[0] !== isNan.output[0] || where.input[2] !== probs) return undefined;
  if (ix.scalar(where.input[1]) !== 0) return undefined;
  return where.output[0];
}

/**
 * Walks back from a per-head tensor (Q, Kᵀ or V) to its projection `x @ W + b`, through scalar Mul/Div and the
 * Reshape/Transpose steps that split heads (and, for K, transpose it).
 */
function traceProjection(ix: GraphIndex, value: string | undefined): Projection | undefined {
  let factor = 1;
  let cur = value;
  let sawSplit = false;
  for (let steps = 0; steps < 12; steps++) {
    const p = ix.producer(cur);
    if (!p || (p.domain ?? '') !== '') return undefined;
    if (p.op_type === 'Mul' || p.op_type === 'Div') {
      const c = ix.scalar(p.input[1]);
      if (c === undefined || c === 0) return undefined;
      factor = p.op_type === 'Mul' ? factor * c : factor / c;
      cur = p.input[0];
      continue;
    }
    if (p.op_type === 'Transpose' || p.op_type === 'Reshape') {
      const add = p.op_type === 'Reshape' ? ix.producerOf(p.input[0], 'Add') : undefined;
      const mmDirect = p.op_type === 'Reshape' ? ix.producerOf(p.input[0], 'MatMul') : undefined;
      if (add || mmDirect) {
        if (!sawSplit) return undefined;
        return projectionAt(ix, add, mmDirect, factor);
      }
      sawSplit = true;
      cur = p.input[0];
      continue;
    }
    return undefined;
  }
  return undefined;
}

function projectionAt(
  ix: GraphIndex,
  add: NodeProto | undefined,
  direct: NodeProto | undefined,
  factor: number,
): Projection | undefined {
  let mm = direct;
  let bias: Float32Array | undefined;
  if (add) {
    const mmSide = add.input.findIndex((v) => ix.producerOf(v, 'MatMul') !== undefined);
    if (mmSide < 0) return undefined;
    mm = ix.producerOf(add.input[mmSide], 'MatMul');
    const b = ix.initializer(add.input[1 - mmSide]);
    if (b?.data_type !== 1 || b.dims.length !== 1) return undefined;
    bias = tensorToFloat32(b);
  }
  if (!mm) return undefined;
  const w = ix.initializer(mm.input[1]);
  if (w?.data_type !== 1 || w.dims.length !== 2) return undefined;
  const [rows, cols] = w.dims.map(Number) as [number, number];
  if (rows !== cols) return undefined;
  return {
    input: mm.input[0] as string,
    weight: tensorToFloat32(w),
    bias: bias ?? new Float32Array(cols),
    factor,
  };
}

function samePerm(a: number[] | undefined, b: number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Packs three [hidden, hidden] weights side by side into [hidden, 3 * hidden], row by row. */
function packWeights(ps: Projection[], hidden: number): Float32Array {
  const out = new Float32Array(hidden * 3 * hidden);
  for (let r = 0; r < hidden; r++) {
    ps.forEach((p, j) => {
      out.set(p.weight.subarray(r * hidden, (r + 1) * hidden), r * 3 * hidden + j * hidden);
    });
  }
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
