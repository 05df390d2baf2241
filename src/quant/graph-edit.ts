import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/onnx-types.js';

/** Domain of ONNX Runtime's contrib operators (MatMulNBits, DynamicQuantizeMatMul). */
export const MS_DOMAIN = 'com.microsoft';

/**
 * A FLOAT attribute's value, or `fallback` when the node does not set it.
 *
 * @param node - the node
 * @param name - attribute name
 * @param fallback - the operator's default
 */
export function floatAttribute(node: NodeProto, name: string, fallback: number): number {
  return node.attribute.find((a) => a.name === name)?.f ?? fallback;
}

/**
 * A tensor holding `bytes` as `raw_data` (little-endian element bytes), for integer and packed types the
 * float helpers of `src/onnx` do not build.
 *
 * @param name - tensor name
 * @param dims - shape
 * @param dataType - a `TensorDataType` code
 * @param bytes - the element bytes
 */
export function rawTensor(
  name: string,
  dims: readonly number[],
  dataType: number,
  bytes: Uint8Array,
): TensorProto {
  return {
    dims: [...dims],
    data_type: dataType,
    name,
    raw_data: bytes,
    float_data: [],
    int32_data: [],
    string_data: [],
    int64_data: [],
    external_data: [],
    double_data: [],
    uint64_data: [],
    metadata_props: [],
  };
}

/**
 * Hands out value, node and initializer names not yet used in a graph. Unlike `uniqueValueName` from
 * `src/onnx`, it scans the graph once, for rewrites that add hundreds of names.
 */
export class NameAllocator {
  private readonly taken = new Set<string>();

  /** @param graph - the graph whose names are reserved */
  constructor(graph: GraphProto) {
    for (const n of graph.node) {
      if (n.name) this.taken.add(n.name);
      for (const v of n.input) this.taken.add(v);
      for (const v of n.output) this.taken.add(v);
    }
    for (const t of graph.initializer) if (t.name) this.taken.add(t.name);
    for (const v of [...graph.input, ...graph.output, ...graph.value_info])
      if (v.name) this.taken.add(v.name);
  }

  /**
   * `base` if free, else `base_1`, `base_2`, ...; the returned name is reserved.
   *
   * @param base - the preferred name
   */
  take(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }
}

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
