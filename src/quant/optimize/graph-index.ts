import { consumerMap } from '../../onnx/graph-edit.js';
import { tensorToFloat32 } from '../../onnx/onnx-tensor.js';
import type { GraphProto, NodeProto, TensorProto } from '../../onnx/onnx-types.js';

/**
 * Lookups over one graph for pattern matching: who produces a value, who reads it, which values are constant.
 * Built once per pass; a pass that rewrites the graph builds a new one.
 */
export class GraphIndex {
  private readonly producers = new Map<string, NodeProto>();
  private readonly consumers: Map<string, NodeProto[]>;
  private readonly initializers = new Map<string, TensorProto>();
  private readonly outputs: Set<string>;

  constructor(readonly graph: GraphProto) {
    for (const n of graph.node) for (const o of n.output) if (o) this.producers.set(o, n);
    this.consumers = consumerMap(graph);
    for (const t of graph.initializer) if (t.name) this.initializers.set(t.name, t);
    this.outputs = new Set(graph.output.map((o) => o.name ?? ''));
  }

  /** The node that writes `value`, if any. */
  producer(value: string | undefined): NodeProto | undefined {
    return value ? this.producers.get(value) : undefined;
  }

  /** The producer of `value` when it is an `opType` node of the default domain. */
  producerOf(value: string | undefined, opType: string): NodeProto | undefined {
    const p = this.producer(value);
    return p && p.op_type === opType && (p.domain ?? '') === '' ? p : undefined;
  }

  /** The nodes that read `value`. */
  consumersOf(value: string): NodeProto[] {
    return this.consumers.get(value) ?? [];
  }

  /** The only consumer of `value` when it has exactly one and is not a graph output. */
  soleConsumer(value: string | undefined, opType?: string): NodeProto | undefined {
    if (!value || this.outputs.has(value)) return undefined;
    const list = this.consumersOf(value);
    if (list.length !== 1) return undefined;
    const n = list[0] as NodeProto;
    if (opType !== undefined && (n.op_type !== opType || (n.domain ?? '') !== '')) return undefined;
    return n;
  }

  /** The initializer named `value`, if it is one. */
  initializer(value: string | undefined): TensorProto | undefined {
    return value ? this.initializers.get(value) : undefined;
  }

  /** The value of a one-element float constant (an initializer or a `Constant` node), if `value` is one. */
  scalar(value: string | undefined): number | undefined {
    let t = this.initializer(value);
    if (!t) {
      const c = this.producerOf(value, 'Constant');
      t = c?.attribute.find((a) => a.name === 'value')?.t ?? undefined;
    }
    if (t?.data_type !== 1) return undefined;
    const data = tensorToFloat32(t);
    return data.length === 1 ? data[0] : undefined;
  }

  /** True when `value` is a graph output (it must keep its name). */
  isGraphOutput(value: string): boolean {
    return this.outputs.has(value);
  }
}

/** The integer list attribute `name` of a node (e.g. a Transpose's `perm`), or `undefined`. */
export function intsAttribute(node: NodeProto, name: string): number[] | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a ? a.ints.map(Number) : undefined;
}

/**
 * Removes nodes whose outputs nothing reads (repeatedly, so whole dead chains go), keeping graph outputs.
 * Returns how many nodes were removed.
 *
 * @param graph - the graph to edit in place
 */
export function removeDeadNodes(graph: GraphProto): number {
  const before = graph.node.length;
  let changed = true;
  while (changed) {
    const used = new Set<string>(graph.output.map((o) => o.name ?? ''));
    for (const n of graph.node) for (const i of n.input) used.add(i);
    for (const n of graph.node) {
      for (const a of n.attribute)
        for (const g of [...(a.g ? [a.g] : []), ...a.graphs]) {
          for (const sn of g.node) for (const i of sn.input) used.add(i);
        }
    }
    const kept = graph.node.filter((n) => n.output.some((o) => o !== '' && used.has(o)));
    changed = kept.length !== graph.node.length;
    graph.node = kept;
  }
  return before - graph.node.length;
}
