import { MS_DOMAIN } from '../onnx/graph-edit.js';
import { makeNode } from '../onnx/onnx-build.js';
import type { NameAllocator } from '../onnx/onnx-graph.js';
import { float32Tensor, rawTensor, tensorToFloat32 } from '../onnx/onnx-tensor.js';
import { type GraphProto, type NodeProto, TensorDataType, type TensorProto } from '../onnx/onnx-types.js';
import { quantizeInt8 } from './int8.js';

/** A fused attention node rewritten for 8-bit weights: its nodes, new initializers and their bytes. */
export interface AttentionInt8 {
  nodes: NodeProto[];
  tensors: TensorProto[];
  /** Bytes of the float32 packed QKV weight that was replaced. */
  bytesBefore: number;
  /** Bytes of the int8 weight and its scales. */
  bytesAfter: number;
  /** The packed weight's shape, [hidden, 3 * hidden]. */
  shape: [number, number];
}

/**
 * Rewrites one `com.microsoft.Attention` node (as `botlens optimize` writes it) for dynamic int8 quantization,
 * the way ONNX Runtime's Python quantizer does: `DynamicQuantizeLinear` on the input and
 * `com.microsoft.QAttention` with the packed QKV weight in int8 (one scale per output column when `perChannel`).
 * Returns `undefined` when the node's weight is not a float32 initializer (left as it is).
 *
 * @param graph - the graph holding `attention`
 * @param attention - the fused attention node
 * @param opts - per-channel scales; 7-bit weights (`reduceRange`) for CPUs without VNNI
 * @param names - allocator for new value names
 */
export function quantizeAttentionInt8(
  graph: GraphProto,
  attention: NodeProto,
  opts: { perChannel: boolean; reduceRange: boolean },
  names: NameAllocator,
): AttentionInt8 | undefined {
  const weight = graph.initializer.find((t) => t.name === attention.input[1]);
  if (!weight || weight.data_type !== TensorDataType.FLOAT || weight.dims.length !== 2) return undefined;
  const [K, N] = weight.dims.map(Number) as [number, number];
  const q = quantizeInt8(tensorToFloat32(weight), [K, N], {
    type: 'int8',
    symmetric: true,
    reduceRange: opts.reduceRange,
    ...(opts.perChannel ? { axis: 1 } : {}),
  });
  const base = attention.name || attention.output[0] || 'attention';
  const wq = names.take(`${weight.name}_quantized`);
  const ws = names.take(`${weight.name}_scale`);
  const tensors = [
    rawTensor(
      wq,
      [K, N],
      TensorDataType.INT8,
      new Uint8Array(q.data.buffer, q.data.byteOffset, q.data.byteLength),
    ),
    float32Tensor(ws, opts.perChannel ? [N] : [], q.scales),
  ];
  const xq = names.take(`${base}_input_quantized`);
  const xs = names.take(`${base}_input_scale`);
  const xz = names.take(`${base}_input_zero_point`);
  const [input, , bias = '', mask = ''] = attention.input as string[];
  const quantized = makeNode('QAttention', [xq, wq, bias, xs, ws, mask, xz], [...attention.output], {
    name: names.take(`${base}_quant`),
    domain: MS_DOMAIN,
  });
  quantized.attribute = attention.attribute.map((a) => ({ ...a }));
  return {
    nodes: [
      makeNode('DynamicQuantizeLinear', [input as string], [xq, xs, xz], {
        name: names.take(`${base}_QuantizeLinear`),
      }),
      quantized,
    ],
    tensors,
    bytesBefore: 4 * K * N,
    bytesAfter: K * N + 4 * (opts.perChannel ? N : 1),
    shape: [K, N],
  };
}
