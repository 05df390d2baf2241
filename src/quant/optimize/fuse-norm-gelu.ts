import { MS_DOMAIN } from '../../onnx/graph-edit.js';
import { makeNode } from '../../onnx/onnx-build.js';
import type { GraphProto, NodeProto } from '../../onnx/onnx-types.js';
import { GraphIndex } from './graph-index.js';

/** A residual `Add` feeding a last-axis `LayerNormalization`, with the bias `Add` folded in when it can be. */
interface ResidualNorm {
  /** The residual `Add` (its output is the residual sum). */
  add: NodeProto;
  /** The `LayerNormalization` reading the sum. */
  ln: NodeProto;
  /** The projection output (before its bias) or the residual's first input. */
  input: string;
  /** The other side of the residual. */
  skip: string;
  /** A 1-D bias initializer whose `Add` on `input` only this residual reads. */
  bias: string | undefined;
  /** Whether anything besides the LayerNorm reads the residual sum. */
  otherReaders: boolean;
}

/**
 * Finds every `Add(x, skip)` (optionally `x = Add(y, bias)`) whose sum feeds a `LayerNormalization` over the
 * last axis with initializer scale and bias.
 */
function residualNorms(ix: GraphIndex, graph: GraphProto): ResidualNorm[] {
  const found: ResidualNorm[] = [];
  const seen = new Set<NodeProto>();
  for (const ln of graph.node) {
    if (ln.op_type !== 'LayerNormalization' || (ln.domain ?? '') !== '') continue;
    const axis = ln.attribute.find((a) => a.name === 'axis');
    if (axis && Number(axis.i) !== -1) continue;
    if (!ix.initializer(ln.input[1]) || !ix.initializer(ln.input[2]) || ln.output.length !== 1) continue;
    const add = ix.producerOf(ln.input[0], 'Add');
    if (!add || seen.has(add) || add.input.some((v) => ix.initializer(v) !== undefined)) continue;
    seen.add(add);
    const sum = add.output[0] as string;
    const otherReaders = ix.consumersOf(sum).some((n) => n !== ln) || ix.isGraphOutput(sum);
    let [input, skip] = add.input as [string, string];
    let bias: string | undefined;
    // Fold a bias Add on either input into the fused node when nothing else reads the biased value.
    for (const side of [0, 1] as const) {
      const candidate = ix.producerOf(add.input[side], 'Add');
      const b = candidate?.input.find((v) => ix.initializer(v)?.dims.length === 1);
      if (candidate && b && ix.soleConsumer(candidate.output[0]) === add) {
        input = candidate.input.find((v) => v !== b) as string;
        skip = add.input[1 - side] as string;
        bias = b;
        break;
      }
    }
    found.push({ add, ln, input, skip, bias, otherReaders });
  }
  return found;
}

/**
 * `Add(x, skip)` (optionally `x = Add(MatMul(..), bias)`) feeding a `LayerNormalization` over the last axis
 * becomes one `com.microsoft.SkipLayerNormalization(x, skip, gamma, beta[, bias])`. The residual sum stays
 * available through the node's fourth output when something else reads it. Returns how many were fused.
 *
 * @param graph - the graph to edit in place
 */
export function fuseSkipLayerNorm(graph: GraphProto): number {
  const ix = new GraphIndex(graph);
  // The fused node takes the residual Add's place (its inputs exist there) and the LayerNorm is dropped, so
  // the graph stays in topological order even when others read the residual sum.
  const atAdd = new Map<NodeProto, NodeProto>();
  const dropped = new Set<NodeProto>();
  for (const { add, ln, input, skip, bias, otherReaders } of residualNorms(ix, graph)) {
    const epsilon = ln.attribute.find((a) => a.name === 'epsilon')?.f ?? 1e-5;
    atAdd.set(
      add,
      makeNode(
        'SkipLayerNormalization',
        [input, skip, ln.input[1] as string, ln.input[2] as string, ...(bias ? [bias] : [])],
        otherReaders ? [ln.output[0] as string, '', '', add.output[0] as string] : [ln.output[0] as string],
        { name: `${ln.name ?? 'layer_norm'}_skip_fused`, domain: MS_DOMAIN, attributes: { epsilon } },
      ),
    );
    dropped.add(ln);
  }
  graph.node = graph.node.filter((n) => !dropped.has(n)).map((n) => atAdd.get(n) ?? n);
  return atAdd.size;
}

/**
 * The residual `Add(x, skip)` before a last-axis `LayerNormalization` becomes one `Sum(y, bias, skip)` when
 * `x = Add(y, bias)` (one pass over the activations instead of two; same additions in the same order, so the
 * same floats), else `Sum(x, skip)`; the `LayerNormalization` stays. ONNX Runtime's own optimizer fuses
 * `Add` + `LayerNormalization` into `SkipLayerNormalization` but does not match `Sum`, and on its CPU provider
 * (1.30) `Add` + `LayerNormalization` is the faster pair: 13 of them on 1792 x 384 activations took about a
 * quarter of the CPU time of 13 `SkipLayerNormalization` on one thread (11 ms against 48 ms), and
 * bench/optimize.ts compares the whole graphs both ways. Returns how many residuals were rewritten.
 *
 * @param graph - the graph to edit in place
 */
export function sumResidualLayerNorm(graph: GraphProto): number {
  const ix = new GraphIndex(graph);
  const replaced = new Map<NodeProto, NodeProto>();
  for (const { add, input, skip, bias } of residualNorms(ix, graph)) {
    replaced.set(
      add,
      makeNode('Sum', bias ? [input, bias, skip] : [input, skip], [add.output[0] as string], {
        name: `${add.name ?? 'residual'}_sum`,
      }),
    );
  }
  graph.node = graph.node.map((n) => replaced.get(n) ?? n);
  return replaced.size;
}

/**
 * The exact (erf) GELU written out as `0.5 * x * (1 + erf(x / sqrt(2)))`, with `x = y + bias`, becomes one
 * `com.microsoft.BiasGelu(y, bias)` (or `com.microsoft.Gelu(x)` when there is no bias Add). With `keepBias`
 * the bias Add stays where it is and only the GELU is fused into `com.microsoft.Gelu(x)`: the quantized graph
 * then folds the bias into its `DynamicQuantizeMatMul`, and ONNX Runtime's CPU `Gelu` kernel is the faster
 * one (bench/optimize.ts). Returns how many were fused.
 *
 * @param graph - the graph to edit in place
 * @param opts - `keepBias`: fuse the GELU alone (default false)
 */
export function fuseBiasGelu(graph: GraphProto, opts: { keepBias?: boolean } = {}): number {
  const ix = new GraphIndex(graph);
  const replaced = new Map<NodeProto, NodeProto>();
  for (const erf of graph.node) {
    if (erf.op_type !== 'Erf' || (erf.domain ?? '') !== '') continue;
    const m = matchGelu(ix, erf);
    if (!m) continue;
    const biasAdd = opts.keepBias ? undefined : ix.producerOf(m.x, 'Add');
    const b = biasAdd?.input.find((v) => ix.initializer(v)?.dims.length === 1);
    const readersOfX = ix.consumersOf(m.x).length;
    const node =
      biasAdd && b && readersOfX === 2
        ? makeNode('BiasGelu', [biasAdd.input.find((v) => v !== b) as string, b], [m.output], {
            name: `${erf.name ?? 'gelu'}_bias_gelu_fused`,
            domain: MS_DOMAIN,
          })
        : makeNode('Gelu', [m.x], [m.output], { name: `${erf.name ?? 'gelu'}_fused`, domain: MS_DOMAIN });
    replaced.set(m.last, node);
  }
  graph.node = graph.node.map((n) => replaced.get(n) ?? n);
  return replaced.size;
}

interface GeluMatch {
  /** The GELU's input. */
  x: string;
  /** Its output value. */
  output: string;
  /** The node writing `output` (the fused node takes its place). */
  last: NodeProto;
}

/** Div(x, √2) → Erf → Add(·, 1) → Mul(·, 0.5) and Mul(x, ·), in either order of the two Muls. */
function matchGelu(ix: GraphIndex, erf: NodeProto): GeluMatch | undefined {
  const div = ix.producer(erf.input[0]);
  if (!div || (div.op_type !== 'Div' && div.op_type !== 'Mul')) return undefined;
  const c = ix.scalar(div.input[1]);
  const scaled = div.op_type === 'Div' ? c : c === undefined ? undefined : 1 / c;
  if (scaled === undefined || Math.abs(scaled - Math.SQRT2) > 1e-4) return undefined;
  const x = div.input[0] as string;
  const plus = ix.soleConsumer(erf.output[0], 'Add');
  if (!plus || ix.scalar(plus.input.find((v) => v !== erf.output[0])) !== 1) return undefined;
  const m1 = ix.soleConsumer(plus.output[0], 'Mul');
  if (!m1) return undefined;
  const other = m1.input.find((v) => v !== plus.output[0]);
  if (ix.scalar(other) === 0.5) {
    const m2 = ix.soleConsumer(m1.output[0], 'Mul');
    if (!m2?.input.includes(x)) return undefined;
    return { x, output: m2.output[0] as string, last: m2 };
  }
  if (other === x) {
    const m2 = ix.soleConsumer(m1.output[0], 'Mul');
    if (!m2 || ix.scalar(m2.input.find((v) => v !== m1.output[0])) !== 0.5) return undefined;
    return { x, output: m2.output[0] as string, last: m2 };
  }
  return undefined;
}
