/**
 * GEMM-only stand-ins for a BERT encoder, for ceiling measurements: the model's matrix products and nothing
 * else, so timing them in ONNX Runtime says how fast the whole model could be if every other operator took no
 * time. Each layer is `x @ Wqkv` (hidden -> 3 hidden, as fused attention packs it; a `Slice` keeps one third so
 * the chain goes on), `@ Wo` (hidden -> hidden), `@ W1` (hidden -> intermediate), `@ W2` (intermediate ->
 * hidden). Weights are pseudo-random (cost only).
 */
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/onnx-build.js';
import { encodeOnnxModel } from '../../src/onnx/onnx-model.js';
import { float32Tensor, rawTensor } from '../../src/onnx/onnx-tensor.js';
import { type NodeProto, TensorDataType, type TensorProto } from '../../src/onnx/onnx-types.js';
import { quantizeInt8 } from '../../src/quant/int8.js';

/** The encoder's sizes. */
export interface EncoderShape {
  layers: number;
  hidden: number;
  intermediate: number;
}

/** `[K, N]` of each matrix product in one layer, in order. */
export function layerGemms(s: EncoderShape): [number, number][] {
  return [
    [s.hidden, 3 * s.hidden],
    [s.hidden, s.hidden],
    [s.hidden, s.intermediate],
    [s.intermediate, s.hidden],
  ];
}

/** Floating-point operations of the matrix products per token (2 per multiply-add). */
export function gemmFlopsPerToken(s: EncoderShape): number {
  return s.layers * layerGemms(s).reduce((sum, [k, n]) => sum + 2 * k * n, 0);
}

/** An int64 initializer of `values` (shape `[values.length]`). */
export function int64Tensor(name: string, values: bigint[]): TensorProto {
  const data = new BigInt64Array(values);
  return rawTensor(name, [values.length], TensorDataType.INT64, new Uint8Array(data.buffer));
}

/**
 * The chain as ONNX bytes: input `x` [tokens, hidden] -> output [tokens, hidden] (`q8-attention`: [texts,
 * tokens per text, hidden] plus input `mask` [texts, tokens] int32, 1 = real token, the raw attention mask the
 * optimized graph gives QAttention).
 *
 * @param s - layer count and sizes (and `heads` for `q8-attention`)
 * @param kind - `fp32`: `MatMul`; `q8`: `com.microsoft.DynamicQuantizeMatMul` with int8 weights and one scale per
 *   output column, what `botlens quantize --bits 8` runs after ONNX Runtime's fusions; `q8-attention`: the
 *   same, with the first product of each layer done by `com.microsoft.QAttention` (query/key/value product,
 *   scores, softmax and context, as the optimized q8 graph runs it), with the padding mask, so ONNX Runtime
 *   takes the masked attention path the real batches take
 */
export async function gemmChainModel(
  s: EncoderShape & { heads?: number },
  kind: 'fp32' | 'q8' | 'q8-attention',
): Promise<Uint8Array> {
  const attention = kind === 'q8-attention';
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648 - 0.5) * 0.1;
  };
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [
    int64Tensor('keep_start', [0n]),
    int64Tensor('keep_end', [BigInt(s.hidden)]),
    int64Tensor('keep_axis', [1n]),
  ];
  /** int8 weights with one scale per output column, as `botlens quantize --bits 8` writes them. */
  const int8Weight = (name: string, w: Float32Array, k: number, n: number) => {
    const q = quantizeInt8(w, [k, n], { type: 'int8', symmetric: true, axis: 1 });
    const bytes = new Uint8Array(q.data.buffer, q.data.byteOffset, q.data.byteLength);
    inits.push(rawTensor(`${name}_q`, [k, n], TensorDataType.INT8, bytes));
    inits.push(float32Tensor(`${name}_scale`, [n], q.scales));
  };
  const ms = { domain: 'com.microsoft' };
  let x = 'x';
  for (let l = 0; l < s.layers; l++) {
    for (const [j, [k, n]] of layerGemms(s).entries()) {
      const w = Float32Array.from({ length: k * n }, random);
      const name = `w${l}_${j}`;
      const y = `y${l}_${j}`;
      if (kind === 'fp32') {
        inits.push(float32Tensor(name, [k, n], w));
        nodes.push(makeNode('MatMul', [x, name], [y]));
      } else if (attention && j === 0) {
        int8Weight(name, w, k, n);
        inits.push(float32Tensor(`${name}_bias`, [n], new Float32Array(n)));
        const [xq, xs, xz] = [`${x}_q`, `${x}_scale`, `${x}_zero_point`];
        nodes.push(makeNode('DynamicQuantizeLinear', [x], [xq, xs, xz]));
        const inputs = [xq, `${name}_q`, `${name}_bias`, xs, `${name}_scale`, 'mask', xz];
        nodes.push(makeNode('QAttention', inputs, [y], { ...ms, attributes: { num_heads: s.heads ?? 1 } }));
        x = y;
        continue;
      } else {
        int8Weight(name, w, k, n);
        nodes.push(makeNode('DynamicQuantizeMatMul', [x, `${name}_q`, `${name}_scale`], [y], ms));
      }
      if (j === 0) {
        nodes.push(makeNode('Slice', [y, 'keep_start', 'keep_end', 'keep_axis'], [`${y}_kept`]));
        x = `${y}_kept`;
      } else {
        x = y;
      }
    }
  }
  const dims = attention ? ['texts', 'tokens', s.hidden] : ['tokens', s.hidden];
  const graph = makeGraph({
    nodes,
    inputs: [
      makeValueInfo('x', TensorDataType.FLOAT, dims),
      ...(attention ? [makeValueInfo('mask', TensorDataType.INT32, ['texts', 'tokens'])] : []),
    ],
    outputs: [makeValueInfo(x, TensorDataType.FLOAT, dims)],
    initializers: inits,
  });
  return encodeOnnxModel(makeModel(graph, { opsets: [{ domain: 'com.microsoft', version: 1 }] }));
}
