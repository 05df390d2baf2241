import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { AttributeProto, GraphProto, NodeProto, TensorProto, ValueInfoProto } from './onnx-types.js';

/**
 * The nodes that read `value` as an input, in graph order (subgraphs of If/Loop are not searched).
 *
 * @param graph - the graph
 * @param value - a value or initializer name
 *
 * @example
 * ```ts
 * consumersOf(graph, 'classifier.weight')[0]?.op_type; // 'Gemm'
 * ```
 */
export function consumersOf(graph: GraphProto, value: string): NodeProto[] {
  return graph.node.filter((n) => n.input.includes(value));
}

/**
 * The node that produces `value`, or `undefined` for graph inputs and initializers.
 *
 * @param graph - the graph
 * @param value - a value name
 */
export function producerOf(graph: GraphProto, value: string): NodeProto | undefined {
  return graph.node.find((n) => n.output.includes(value));
}

/**
 * The attribute `name` of a node, if set.
 *
 * @param node - the node
 * @param name - attribute name, e.g. `transB`
 */
export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

/**
 * The integer attribute `name` of a node, or `fallback` when it is not set.
 *
 * @param node - the node
 * @param name - attribute name
 * @param fallback - the operator's default
 */
export function getIntAttribute(node: NodeProto, name: string, fallback: number): number {
  return getAttribute(node, name)?.i ?? fallback;
}

/**
 * The float attribute `name` of a node, or `fallback` when it is not set.
 *
 * @param node - the node
 * @param name - attribute name, e.g. `epsilon`
 * @param fallback - the operator's default
 */
export function getFloatAttribute(node: NodeProto, name: string, fallback: number): number {
  return getAttribute(node, name)?.f ?? fallback;
}

/**
 * The PyTorch module a node was exported from, e.g. `bert.encoder.layer.0.attention.self.query`, or
 * `undefined` when the node does not say. Reads the PyTorch dynamo exporter's `pkg.torch.onnx.name_scopes`
 * metadata (the deepest module scope), else a TorchScript-exporter node name such as
 * `/bert/encoder/layer.0/attention/self/query/MatMul`.
 *
 * @param node - the node
 *
 * @example
 * ```ts
 * nodeModuleScope({ name: '/bert/pooler/dense/Gemm', ... }); // 'bert.pooler.dense'
 * ```
 */
export function nodeModuleScope(node: NodeProto): string | undefined {
  const scopes = node.metadata_props.find((p) => p.key === 'pkg.torch.onnx.name_scopes')?.value;
  if (scopes) {
    const parts = parsePythonStringList(scopes);
    // The last entry names the traced op (e.g. `linear_3`); the one before it is the innermost module.
    if (parts && parts.length >= 2) {
      const scope = parts[parts.length - 2]!;
      return scope === '' ? undefined : scope;
    }
  }
  const name = node.name;
  if (name?.startsWith('/')) {
    const segs = name.slice(1).split('/');
    if (segs.length >= 2) return segs.slice(0, -1).join('.');
  }
  return undefined;
}

/** Parses a Python list-of-strings repr such as `['', 'bert', 'bert.encoder']`. */
function parsePythonStringList(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) return undefined;
  const out: string[] = [];
  const re = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(t); m; m = re.exec(t)) out.push(m[1] ?? m[2] ?? '');
  return out;
}

/**
 * Every module path the graph mentions: node scopes ({@link nodeModuleScope}), their parents, and the module
 * part of initializer names that look like PyTorch parameter names (`classifier.weight` gives `classifier`).
 *
 * @param graph - the graph
 */
export function graphModulePaths(graph: GraphProto): Set<string> {
  const out = new Set<string>();
  const add = (path: string) => {
    const parts = path.split('.');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('.'));
  };
  for (const n of graph.node) {
    const s = nodeModuleScope(n);
    if (s) add(s);
  }
  for (const t of graph.initializer) {
    const m = /^(.+)\.(weight|bias)$/.exec(t.name ?? '');
    if (m) add(m[1]!);
  }
  return out;
}

/**
 * A name not yet used by any value, initializer or node output in the graph: `base`, else `base_1`, `base_2`...
 *
 * @param graph - the graph
 * @param base - the preferred name
 */
export function uniqueValueName(graph: GraphProto, base: string): string {
  const used = new Set<string>();
  for (const t of graph.initializer) if (t.name) used.add(t.name);
  for (const v of [...graph.input, ...graph.output, ...graph.value_info]) if (v.name) used.add(v.name);
  for (const n of graph.node) for (const o of n.output) used.add(o);
  return freeName(used, base);
}

/** `base` if `used` lacks it, else the first of `base_1`, `base_2`, ... that it lacks. */
function freeName(used: ReadonlySet<string>, base: string): string {
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
  return name;
}

/**
 * Hands out value, node and initializer names not yet used in a graph. Unlike {@link uniqueValueName}, it
 * scans the graph once (for rewrites that add hundreds of names) and also avoids node names and every name a
 * node reads.
 *
 * @example
 * ```ts
 * const names = new NameAllocator(graph);
 * names.take('weight_quantized'); // 'weight_quantized', or 'weight_quantized_1' when taken
 * ```
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
    const name = freeName(this.taken, base);
    this.taken.add(name);
    return name;
  }
}

/**
 * Adds an initializer that is used only by input `index` of `node`: when the current input is shared with other
 * nodes, the tensor gets a fresh name so the others keep their value. Returns the name used.
 *
 * @param graph - the graph to edit
 * @param node - the node whose input is set
 * @param index - the input slot (appended when it is the next free slot)
 * @param tensor - the new value; its name is replaced by a unique one when needed
 */
export function setNodeInitializer(
  graph: GraphProto,
  node: NodeProto,
  index: number,
  tensor: TensorProto,
): string {
  if (index > node.input.length) {
    throw new InvalidOptionsError(
      'index',
      `node "${node.name}" has ${node.input.length} inputs; cannot set input ${index}`,
    );
  }
  const current = node.input[index];
  const sharedElsewhere =
    current !== undefined &&
    current !== '' &&
    (graph.node.some((n) => n !== node && n.input.includes(current)) ||
      graph.output.some((o) => o.name === current) ||
      node.input.filter((x) => x === current).length > 1);
  const isInitializer = current !== undefined && graph.initializer.some((t) => t.name === current);
  let name: string;
  if (current && isInitializer && !sharedElsewhere) {
    name = current;
    const i = graph.initializer.findIndex((t) => t.name === current);
    graph.initializer[i] = { ...tensor, name };
  } else {
    name = uniqueValueName(graph, tensor.name ?? `${node.name ?? 'node'}_input_${index}`);
    graph.initializer.push({ ...tensor, name });
  }
  if (index === node.input.length) node.input.push(name);
  else node.input[index] = name;
  return name;
}

/**
 * Makes an intermediate value a graph output too (so an ONNX Runtime session returns it), declaring it as a
 * float tensor of unknown shape unless `type` is given. Does nothing when it already is an output.
 *
 * @param graph - the graph to edit
 * @param name - the value to expose
 * @param elemType - element type code (default FLOAT)
 * @throws InvalidOptionsError when no node produces `name`
 *
 * @example
 * ```ts
 * addGraphOutput(graph, 'layer_norm_2'); // the input of the top encoder layer
 * ```
 */
export function addGraphOutput(graph: GraphProto, name: string, elemType = 1): void {
  if (graph.output.some((o) => o.name === name)) return;
  if (!producerOf(graph, name) && !graph.input.some((i) => i.name === name)) {
    throw new InvalidOptionsError('name', `no node of the graph produces "${name}"`);
  }
  const info: ValueInfoProto = {
    name,
    type: { tensor_type: { elem_type: elemType } },
    metadata_props: [],
  };
  graph.output.push(info);
}
