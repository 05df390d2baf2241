/**
 * The graphs bench/optimize.ts times to bound what the model could reach: the GEMM chains (the model's matrix
 * products alone, with or without ONNX Runtime's attention), the optimized q8 graph with each GELU run as Relu,
 * and the same graph with its int8 weights stored as uint8.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOnnxModel, saveOnnxModel } from '../../../src/onnx/onnx-model.js';
import { rawTensor } from '../../../src/onnx/onnx-tensor.js';
import { TensorDataType } from '../../../src/onnx/onnx-types.js';
import { type EncoderShape, gemmChainModel } from '../gemm-chain.js';

/** Where {@link writeGemmChains} wrote the chains. */
export interface GemmChains {
  /** fp32 MatMul. */
  fp32: string;
  /** int8 DynamicQuantizeMatMul. */
  q8: string;
  /** The latter with ONNX Runtime's QAttention for the QKV projection and the attention itself. */
  q8Attention: string;
}

/**
 * Writes the model's matrix products alone into `work`: fp32 MatMul, int8 DynamicQuantizeMatMul, and the latter
 * with QAttention fed the padding mask, as the optimized graph feeds it (ONNX Runtime's masked path).
 *
 * @param work - the folder to write to
 * @param shape - the encoder's sizes
 */
export async function writeGemmChains(
  work: string,
  shape: EncoderShape & { heads: number },
): Promise<GemmChains> {
  const chains = {
    fp32: join(work, 'gemm-fp32.onnx'),
    q8: join(work, 'gemm-q8.onnx'),
    q8Attention: join(work, 'gemm-q8-attention.onnx'),
  };
  writeFileSync(chains.fp32, await gemmChainModel(shape, 'fp32'));
  writeFileSync(chains.q8, await gemmChainModel(shape, 'q8'));
  writeFileSync(chains.q8Attention, await gemmChainModel(shape, 'q8-attention'));
  return chains;
}

/**
 * Writes the q8 graph `from` with each GELU run as Relu to `to`: the same memory traffic without the erf, so
 * what any GELU kernel could save at most (not the model: a bound).
 */
export async function writeGeluAsRelu(from: string, to: string): Promise<void> {
  const m = await loadOnnxModel(from);
  for (const n of m.graph?.node ?? []) {
    if (n.op_type === 'Gelu') {
      n.op_type = 'Relu';
      n.domain = '';
    }
  }
  await saveOnnxModel(m, to);
}

/**
 * Writes the q8 graph `from` with its int8 weights stored as uint8 (zero point 128, the same products) to `to`:
 * ONNX Runtime then runs its u8u8 kernels instead of u8s8, which use AVX-512 VNNI's vpdpbusd (uint8 x int8)
 * directly; why the quantizer writes signed weights.
 */
export async function writeUint8Weights(from: string, to: string): Promise<void> {
  const m = await loadOnnxModel(from);
  const graph = m.graph!;
  // weight input and its zero point's input index, per operator
  const slots: Record<string, [number, number]> = {
    MatMulInteger: [1, 3],
    DynamicQuantizeMatMul: [1, 3],
    QAttention: [1, 7],
  };
  const zeroPoints = new Map<string, string>(); // weight -> its uint8 zero point, once per weight
  for (const n of graph.node) {
    const slot = slots[n.op_type ?? ''];
    const name = slot ? n.input[slot[0]] : undefined;
    if (!slot || !name || n.input[slot[1]]) continue;
    let zp = zeroPoints.get(name);
    const w = graph.initializer.find((t) => t.name === name);
    if (!zp && w?.data_type === TensorDataType.INT8 && w.raw_data) {
      const bytes = w.raw_data;
      for (let k = 0; k < bytes.length; k++) bytes[k] = bytes[k]! ^ 0x80; // int8 q -> uint8 q + 128
      w.data_type = TensorDataType.UINT8;
      zp = `${name}_uint8_zero_point`;
      // QAttention takes one zero point for the packed weight; the others one per output column
      const cols = n.op_type === 'QAttention' ? 1 : Number(w.dims[1]);
      const dims = n.op_type === 'QAttention' ? [] : [cols];
      graph.initializer.push(rawTensor(zp, dims, TensorDataType.UINT8, new Uint8Array(cols).fill(128)));
      zeroPoints.set(name, zp);
    }
    if (!zp) continue;
    while (n.input.length < slot[1]) n.input.push('');
    n.input[slot[1]] = zp;
  }
  await saveOnnxModel(m, to);
}
