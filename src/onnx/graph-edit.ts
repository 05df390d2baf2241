import type { GraphProto, ModelProto, NodeProto } from './onnx-types.js';

/** Domain of ONNX Runtime's contrib operators (MatMulNBits, DynamicQuantizeMatMul). */
export const MS_DOMAIN = 'com.microsoft';

/**
 * For each value name, the nodes that read it (one pass, for code that asks about many values).
 *
 * @param graph - the graph
 */
export function consumerMap(graph: GraphProto): Map<string, NodeProto[]> {
  const map = new Map<string, NodeProto[]>();
  for (const n of graph.node) {
    for (const v of n.input) {
      if (!v) continue;
      const list = map.get(v);
      if (list) {
        if (!list.includes(n)) list.push(n);
      } else map.set(v, [n]);
    }
  }
  return map;
}

/**
 * Adds `domain` at `version` to the model's opset imports if it is missing.
 *
 * @param model - the model to edit
 * @param domain - operator domain (`''` for ai.onnx)
 * @param version - opset version to import
 */
export function ensureOpset(model: ModelProto, domain: string, version: number): void {
  if (!model.opset_import.some((o) => (o.domain ?? '') === domain))
    model.opset_import.push({ domain, version });
}

/**
 * Removes initializers no node reads (and that are not graph outputs), graph inputs that only declared such an
 * initializer (old exporters list weights as inputs too), and value-info entries for values no node produces
 * any more. Returns the removed initializer names.
 *
 * @param graph - the graph to edit in place
 */
export function pruneGraph(graph: GraphProto): string[] {
  const used = usedValueNames(graph);
  const removed: string[] = [];
  graph.initializer = graph.initializer.filter((t) => {
    const keep = used.has(t.name ?? '');
    if (!keep) removed.push(t.name ?? '');
    return keep;
  });
  const gone = new Set(removed);
  graph.input = graph.input.filter((v) => !gone.has(v.name ?? ''));
  const produced = new Set<string>();
  for (const n of graph.node) for (const v of n.output) produced.add(v);
  for (const v of graph.input) if (v.name) produced.add(v.name);
  for (const t of graph.initializer) if (t.name) produced.add(t.name);
  graph.value_info = graph.value_info.filter((v) => produced.has(v.name ?? ''));
  return removed;
}

/**
 * Every value name something reads: node inputs (including nodes of If/Loop/Scan bodies, which may read outer
 * values) and graph outputs.
 *
 * @param graph - the graph
 */
export function usedValueNames(graph: GraphProto): Set<string> {
  const used = new Set<string>();
  for (const n of graph.node) for (const v of n.input) used.add(v);
  for (const o of graph.output) if (o.name) used.add(o.name);
  collectSubgraphInputs(graph, used);
  return used;
}

/** Subgraphs (If/Loop/Scan bodies) may read outer values by name: count those as used. */
function collectSubgraphInputs(graph: GraphProto, used: Set<string>): void {
  for (const n of graph.node) {
    for (const a of n.attribute) {
      const subs = [...(a.g ? [a.g] : []), ...a.graphs];
      for (const g of subs) {
        for (const m of g.node) for (const v of m.input) used.add(v);
        collectSubgraphInputs(g, used);
      }
    }
  }
}
