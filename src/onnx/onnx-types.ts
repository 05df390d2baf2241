/**
 * Plain-object shapes of decoded ONNX protobuf messages, as {@link decodeOnnxModel} returns them and
 * {@link encodeOnnxModel} takes them. Field names are the spec's snake_case names (`raw_data`, `op_type`).
 *
 * Conventions: repeated fields are always arrays (empty when absent); optional scalar fields are absent when
 * the file does not set them (proto2 presence is kept, so an encoded model matches its source). 64-bit integers
 * are JavaScript numbers: exact up to 2^53; the sentinels exporters use (INT64_MAX, INT64_MIN) survive a round
 * trip because they are re-encoded with saturation.
 *
 * @module
 */

/** A key/value pair (`onnx.StringStringEntryProto`), used for metadata and external-data locations. */
export interface StringStringEntryProto {
  /** The key. */
  key?: string;
  /** The value. */
  value?: string;
}

/** An operator set the model imports (`onnx.OperatorSetIdProto`). */
export interface OperatorSetIdProto {
  /** Operator domain; empty or absent for the default `ai.onnx` domain. */
  domain?: string;
  /** Opset version. */
  version?: number;
}

/** A segment of a tensor stored in pieces (`onnx.TensorProto.Segment`). */
export interface TensorSegment {
  /** First element index. */
  begin?: number;
  /** One past the last element index. */
  end?: number;
}

/** A serialized tensor (`onnx.TensorProto`): an initializer, a constant or an attribute value. */
export interface TensorProto {
  /** The shape; empty for a scalar. */
  dims: number[];
  /** Element type, one of {@link TensorDataType}. */
  data_type?: number;
  /** Segment information for tensors split in pieces. */
  segment?: TensorSegment;
  /** FLOAT / COMPLEX64 values, when not stored in `raw_data`. */
  float_data: number[];
  /** INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16 (and 4/8-bit) values, when not in `raw_data`. */
  int32_data: number[];
  /** STRING values. */
  string_data: Uint8Array[];
  /** INT64 values, when not in `raw_data`. */
  int64_data: number[];
  /** Tensor name; initializers are referenced by it. */
  name?: string;
  /** Human-readable documentation. */
  doc_string?: string;
  /** The values as little-endian bytes, the usual storage of exported weights. */
  raw_data?: Uint8Array;
  /** Where the data lives when `data_location` is EXTERNAL: `location`, `offset`, `length`, `checksum`. */
  external_data: StringStringEntryProto[];
  /** One of {@link DataLocation}. */
  data_location?: number;
  /** DOUBLE / COMPLEX128 values, when not in `raw_data`. */
  double_data: number[];
  /** UINT32 / UINT64 values, when not in `raw_data`. */
  uint64_data: number[];
  /** Named metadata. */
  metadata_props: StringStringEntryProto[];
}

/** A sparse tensor (`onnx.SparseTensorProto`). */
export interface SparseTensorProto {
  /** The non-default values. */
  values?: TensorProto;
  /** Their indices. */
  indices?: TensorProto;
  /** The dense shape. */
  dims: number[];
}

/** One dimension of a shape (`onnx.TensorShapeProto.Dimension`): a number, a symbol, or unknown. */
export interface TensorShapeDimension {
  /** A fixed size. */
  dim_value?: number;
  /** A symbolic size such as `batch_size`. */
  dim_param?: string;
  /** Optional denotation. */
  denotation?: string;
}

/** A tensor shape (`onnx.TensorShapeProto`). */
export interface TensorShapeProto {
  /** The dimensions, outermost first. */
  dim: TensorShapeDimension[];
}

/** The type of a value (`onnx.TypeProto`); exactly one of the `*_type` fields is set. */
export interface TypeProto {
  /** A dense tensor type. */
  tensor_type?: { elem_type?: number; shape?: TensorShapeProto };
  /** A sequence type. */
  sequence_type?: { elem_type?: TypeProto };
  /** A map type. */
  map_type?: { key_type?: number; value_type?: TypeProto };
  /** An optional type. */
  optional_type?: { elem_type?: TypeProto };
  /** A sparse tensor type. */
  sparse_tensor_type?: { elem_type?: number; shape?: TensorShapeProto };
  /** An opaque type. */
  opaque_type?: { domain?: string; name?: string };
  /** Optional denotation. */
  denotation?: string;
}

/** A named, typed value: a graph input, output or intermediate (`onnx.ValueInfoProto`). */
export interface ValueInfoProto {
  /** The value's name. */
  name?: string;
  /** Its type and shape. */
  type?: TypeProto;
  /** Human-readable documentation. */
  doc_string?: string;
  /** Named metadata. */
  metadata_props: StringStringEntryProto[];
}

/** A node attribute (`onnx.AttributeProto`); `type` says which value field is used. */
export interface AttributeProto {
  /** Attribute name, e.g. `transB`. */
  name?: string;
  /** Reference to a parent-function attribute (functions only). */
  ref_attr_name?: string;
  /** Human-readable documentation. */
  doc_string?: string;
  /** One of {@link AttributeType}. */
  type?: number;
  /** FLOAT value. */
  f?: number;
  /** INT value. */
  i?: number;
  /** STRING value (bytes, UTF-8 by convention). */
  s?: Uint8Array;
  /** TENSOR value. */
  t?: TensorProto;
  /** GRAPH value (subgraph of If/Loop/Scan). */
  g?: GraphProto;
  /** SPARSE_TENSOR value. */
  sparse_tensor?: SparseTensorProto;
  /** TYPE_PROTO value. */
  tp?: TypeProto;
  /** FLOATS value. */
  floats: number[];
  /** INTS value. */
  ints: number[];
  /** STRINGS value. */
  strings: Uint8Array[];
  /** TENSORS value. */
  tensors: TensorProto[];
  /** GRAPHS value. */
  graphs: GraphProto[];
  /** SPARSE_TENSORS value. */
  sparse_tensors: SparseTensorProto[];
  /** TYPE_PROTOS value. */
  type_protos: TypeProto[];
}

/** One operation in a graph (`onnx.NodeProto`). */
export interface NodeProto {
  /** Input value names, in the operator's order; `''` marks an omitted optional input. */
  input: string[];
  /** Output value names. */
  output: string[];
  /** Node name (exporters often name it after the module, e.g. `/bert/encoder/layer.0/.../MatMul`). */
  name?: string;
  /** Operator, e.g. `MatMul`. */
  op_type?: string;
  /** Operator domain; absent or empty for `ai.onnx`. */
  domain?: string;
  /** Function overload id. */
  overload?: string;
  /** Attributes. */
  attribute: AttributeProto[];
  /** Human-readable documentation. */
  doc_string?: string;
  /** Named metadata (the PyTorch dynamo exporter records `pkg.torch.onnx.name_scopes` here). */
  metadata_props: StringStringEntryProto[];
  /** Distributed-execution configuration (kept for round trips). */
  device_configurations: unknown[];
}

/** Quantization parameters of a tensor (`onnx.TensorAnnotation`). */
export interface TensorAnnotation {
  /** The annotated tensor. */
  tensor_name?: string;
  /** `SCALE_TENSOR` / `ZERO_POINT_TENSOR` entries. */
  quant_parameter_tensor_names: StringStringEntryProto[];
}

/** A computation graph (`onnx.GraphProto`). */
export interface GraphProto {
  /** Nodes in topological order. */
  node: NodeProto[];
  /** Graph name. */
  name?: string;
  /** Constant tensors (weights) referenced by name. */
  initializer: TensorProto[];
  /** Sparse constant tensors. */
  sparse_initializer: SparseTensorProto[];
  /** Human-readable documentation. */
  doc_string?: string;
  /** Graph inputs. */
  input: ValueInfoProto[];
  /** Graph outputs. */
  output: ValueInfoProto[];
  /** Types of intermediate values (from shape inference). */
  value_info: ValueInfoProto[];
  /** Quantization annotations. */
  quantization_annotation: TensorAnnotation[];
  /** Named metadata. */
  metadata_props: StringStringEntryProto[];
}

/** A whole ONNX model file (`onnx.ModelProto`). */
export interface ModelProto {
  /** IR version of the file format. */
  ir_version?: number;
  /** Operator sets the graph uses. */
  opset_import: OperatorSetIdProto[];
  /** Tool that made the file. */
  producer_name?: string;
  /** Its version. */
  producer_version?: string;
  /** Model domain. */
  domain?: string;
  /** Model version. */
  model_version?: number;
  /** Human-readable documentation. */
  doc_string?: string;
  /** The main graph. */
  graph?: GraphProto;
  /** Named metadata. */
  metadata_props: StringStringEntryProto[];
  /** Training information (kept for round trips). */
  training_info: unknown[];
  /** Model-local functions (kept for round trips). */
  functions: unknown[];
  /** Device configurations (kept for round trips). */
  configuration: unknown[];
}

/**
 * `TensorProto.DataType` codes of the ONNX specification.
 *
 * @example
 * ```ts
 * tensor.data_type === TensorDataType.FLOAT; // fp32 weights
 * ```
 */
export const TensorDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
  UINT2: 25,
  INT2: 26,
} as const;

/** `AttributeProto.AttributeType` codes of the ONNX specification. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** `TensorProto.DataLocation` codes: where a tensor's bytes are. */
export const DataLocation = {
  /** In the model file (`raw_data` or a typed field). */
  DEFAULT: 0,
  /** In a separate file named by `external_data`. */
  EXTERNAL: 1,
} as const;
