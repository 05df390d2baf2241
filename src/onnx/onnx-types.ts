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

/** A tensor type: element type and (possibly symbolic) shape. */
export interface TypeProtoTensor {
  /** Element type code, one of {@link TensorDataType}. */
  elem_type?: number;
  /** The shape, when known. */
  shape?: TensorShapeProto;
}

/** A type with one element type (sequences and optionals). */
export interface TypeProtoElement {
  /** The element type. */
  elem_type?: TypeProto;
}

/** A map type. */
export interface TypeProtoMap {
  /** Key element type code. */
  key_type?: number;
  /** Value type. */
  value_type?: TypeProto;
}

/** An opaque type. */
export interface TypeProtoOpaque {
  /** Domain. */
  domain?: string;
  /** Name. */
  name?: string;
}

/** The type of a value (`onnx.TypeProto`); exactly one of the `*_type` fields is set. */
export interface TypeProto {
  /** A dense tensor type. */
  tensor_type?: TypeProtoTensor;
  /** A sequence type. */
  sequence_type?: TypeProtoElement;
  /** A map type. */
  map_type?: TypeProtoMap;
  /** An optional type. */
  optional_type?: TypeProtoElement;
  /** A sparse tensor type. */
  sparse_tensor_type?: TypeProtoTensor;
  /** An opaque type. */
  opaque_type?: TypeProtoOpaque;
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
  /** Not set. */
  UNDEFINED: 0,
  /** 32-bit float. */
  FLOAT: 1,
  /** Unsigned 8-bit integer. */
  UINT8: 2,
  /** Signed 8-bit integer. */
  INT8: 3,
  /** Unsigned 16-bit integer. */
  UINT16: 4,
  /** Signed 16-bit integer. */
  INT16: 5,
  /** Signed 32-bit integer. */
  INT32: 6,
  /** Signed 64-bit integer. */
  INT64: 7,
  /** UTF-8 string. */
  STRING: 8,
  /** Boolean (one byte). */
  BOOL: 9,
  /** IEEE half-precision float. */
  FLOAT16: 10,
  /** 64-bit float. */
  DOUBLE: 11,
  /** Unsigned 32-bit integer. */
  UINT32: 12,
  /** Unsigned 64-bit integer. */
  UINT64: 13,
  /** Complex of two 32-bit floats. */
  COMPLEX64: 14,
  /** Complex of two 64-bit floats. */
  COMPLEX128: 15,
  /** Brain float (the top half of a float32). */
  BFLOAT16: 16,
  /** 8-bit float, 4-bit exponent, finite only. */
  FLOAT8E4M3FN: 17,
  /** 8-bit float, 4-bit exponent, finite, no negative zero. */
  FLOAT8E4M3FNUZ: 18,
  /** 8-bit float, 5-bit exponent. */
  FLOAT8E5M2: 19,
  /** 8-bit float, 5-bit exponent, finite, no negative zero. */
  FLOAT8E5M2FNUZ: 20,
  /** Unsigned 4-bit integer (two per byte). */
  UINT4: 21,
  /** Signed 4-bit integer (two per byte). */
  INT4: 22,
  /** 4-bit float. */
  FLOAT4E2M1: 23,
  /** 8-bit exponent-only float (scales). */
  FLOAT8E8M0: 24,
  /** Unsigned 2-bit integer. */
  UINT2: 25,
  /** Signed 2-bit integer. */
  INT2: 26,
} as const;

/** `AttributeProto.AttributeType` codes of the ONNX specification. */
export const AttributeType = {
  /** Not set. */
  UNDEFINED: 0,
  /** One float (`f`). */
  FLOAT: 1,
  /** One integer (`i`). */
  INT: 2,
  /** One string (`s`). */
  STRING: 3,
  /** One tensor (`t`). */
  TENSOR: 4,
  /** One subgraph (`g`). */
  GRAPH: 5,
  /** Floats (`floats`). */
  FLOATS: 6,
  /** Integers (`ints`). */
  INTS: 7,
  /** Strings (`strings`). */
  STRINGS: 8,
  /** Tensors (`tensors`). */
  TENSORS: 9,
  /** Subgraphs (`graphs`). */
  GRAPHS: 10,
  /** One sparse tensor. */
  SPARSE_TENSOR: 11,
  /** Sparse tensors. */
  SPARSE_TENSORS: 12,
  /** One type (`tp`). */
  TYPE_PROTO: 13,
  /** Types (`type_protos`). */
  TYPE_PROTOS: 14,
} as const;

/** `TensorProto.DataLocation` codes: where a tensor's bytes are. */
export const DataLocation = {
  /** In the model file (`raw_data` or a typed field). */
  DEFAULT: 0,
  /** In a separate file named by `external_data`. */
  EXTERNAL: 1,
} as const;
