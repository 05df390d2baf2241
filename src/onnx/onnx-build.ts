import {
  type AttributeProto,
  AttributeType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  TensorDataType,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-types.js';

/**
 * An attribute value accepted by {@link makeNode}: a number (INT when integral), a string, a number list, a tensor
 * or a subgraph (the branches of `If`, the bodies of `Loop` and `Scan`).
 */
export type AttributeValue = number | string | readonly number[] | TensorProto | GraphProto;

/**
 * Builds an attribute. Integers become INT (lists: INTS), other numbers FLOAT (FLOATS); pass
 * `{ float: true }` to force FLOAT for an integral value.
 *
 * @param name - attribute name
 * @param value - its value
 * @param options - `float: true` forces FLOAT/FLOATS
 */
function makeAttribute(
  name: string,
  value: AttributeValue,
  options: { float?: boolean } = {},
): AttributeProto {
  const a: AttributeProto = {
    name,
    floats: [],
    ints: [],
    strings: [],
    tensors: [],
    graphs: [],
    sparse_tensors: [],
    type_protos: [],
  };
  if (typeof value === 'number') {
    if (Number.isInteger(value) && !options.float) {
      a.type = AttributeType.INT;
      a.i = value;
    } else {
      a.type = AttributeType.FLOAT;
      a.f = value;
    }
  } else if (typeof value === 'string') {
    a.type = AttributeType.STRING;
    a.s = new TextEncoder().encode(value);
  } else if (Array.isArray(value)) {
    const list = value as readonly number[];
    if (list.every((v) => Number.isInteger(v)) && !options.float) {
      a.type = AttributeType.INTS;
      a.ints = [...list];
    } else {
      a.type = AttributeType.FLOATS;
      a.floats = [...list];
    }
  } else if ('node' in value) {
    a.type = AttributeType.GRAPH;
    a.g = value;
  } else {
    a.type = AttributeType.TENSOR;
    a.t = value as TensorProto;
  }
  return a;
}

/**
 * Builds a node.
 *
 * @param opType - operator, e.g. `MatMul`
 * @param inputs - input value names
 * @param outputs - output value names
 * @param options - node `name`, `domain` and `attributes`
 *
 * @example
 * ```ts
 * makeNode('Gemm', ['x', 'w', 'b'], ['y'], { name: '/classifier/Gemm', attributes: { transB: 1 } });
 * ```
 */
export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  options: { name?: string; domain?: string; attributes?: Record<string, AttributeValue> } = {},
): NodeProto {
  const node: NodeProto = {
    input: [...inputs],
    output: [...outputs],
    op_type: opType,
    attribute: Object.entries(options.attributes ?? {}).map(([k, v]) => makeAttribute(k, v)),
    metadata_props: [],
    device_configurations: [],
  };
  if (options.name !== undefined) node.name = options.name;
  if (options.domain !== undefined) node.domain = options.domain;
  return node;
}

/**
 * Declares a tensor-typed graph input or output; `shape` entries are sizes or symbolic names.
 *
 * @param name - value name
 * @param elemType - element type code, e.g. `TensorDataType.FLOAT`
 * @param shape - dimensions; omit for an unknown shape
 */
export function makeValueInfo(
  name: string,
  elemType: number = TensorDataType.FLOAT,
  shape?: readonly (number | string)[],
): ValueInfoProto {
  const tensor_type: NonNullable<ValueInfoProto['type']>['tensor_type'] = { elem_type: elemType };
  if (shape) {
    tensor_type.shape = {
      dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })),
    };
  }
  return { name, type: { tensor_type }, metadata_props: [] };
}

/**
 * Builds a graph.
 *
 * @param parts - nodes, inputs, outputs, initializers and an optional name
 */
export function makeGraph(parts: {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  name?: string;
}): GraphProto {
  return {
    node: parts.nodes,
    name: parts.name ?? 'graph',
    initializer: parts.initializers ?? [],
    sparse_initializer: [],
    input: parts.inputs,
    output: parts.outputs,
    value_info: [],
    quantization_annotation: [],
    metadata_props: [],
  };
}

/**
 * Wraps a graph in a model with the given default-domain opset (IR version 8, which ONNX Runtime 1.14+ reads).
 *
 * @param graph - the graph
 * @param options - `opset` (default 17) and extra `opsets` for other domains
 *
 * @example
 * ```ts
 * const model = makeModel(makeGraph({ nodes, inputs, outputs, initializers }));
 * await saveOnnxModel(model, 'tiny.onnx');
 * ```
 */
export function makeModel(
  graph: GraphProto,
  options: { opset?: number; opsets?: { domain: string; version: number }[] } = {},
): ModelProto {
  return {
    ir_version: 8,
    opset_import: [{ domain: '', version: options.opset ?? 17 }, ...(options.opsets ?? [])],
    producer_name: 'botlens',
    graph,
    metadata_props: [],
    training_info: [],
    functions: [],
    configuration: [],
  };
}
