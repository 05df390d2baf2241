/**
 * Other ways to write the optimized q8 graph, for bench/optimize.ts to time beside the one `botlens optimize` +
 * `quantize --bits 8` writes: each is a candidate for a faster q8 graph that was measured and not adopted. They
 * are timing variants (random weights), built from the optimized folder:
 *
 * - attention as ONNX Runtime's `MultiHeadAttention` after one `MatMul` on the packed query/key/value weight and
 *   a `Split` (the quantizer makes the `MatMul` a `DynamicQuantizeMatMul`), instead of `QAttention`;
 * - the same with three `MatMul`s (query, key, value) whose activations then share ONE `DynamicQuantizeLinear`
 *   (ONNX Runtime runs them as `MatMulIntegerToFloat`): a single quantization and no `Split` copy;
 * - `FastGelu` (tanh approximation, up to about 5e-4 off) or ONNX's own `Gelu` (opset 20) for each
 *   `com.microsoft.Gelu`;
 * - the residual `Sum`'s bias moved onto the projection (an `Add` ONNX Runtime folds into the GEMM), which leaves
 *   `Add` + `LayerNormalization` for ONNX Runtime to fuse into its own `SkipLayerNormalization`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { copyModelMetadata } from '../../src/onnx/model-folder.js';
import { makeNode } from '../../src/onnx/onnx-build.js';
import { loadOnnxModel, saveOnnxModel } from '../../src/onnx/onnx-model.js';
import { float32Tensor, tensorToFloat32 } from '../../src/onnx/onnx-tensor.js';
import type { NodeProto } from '../../src/onnx/onnx-types.js';
import { quantize } from '../../src/quant/quantize.js';
import { int64Tensor } from './gemm-chain.js';

const MS = 'com.microsoft';

/** How a `com.microsoft.Attention` of the optimized fp32 graph is rewritten before quantizing. */
export type AttentionRewrite = 'packed-split' | 'shared-quantization';

/**
 * Writes `to`: a copy of the optimized folder `from` whose fp32 `Attention` nodes run as `MultiHeadAttention`
 * (see {@link AttentionRewrite}), quantized to q8 (`onnx/model_quantized.onnx`).
 *
 * @param from - the optimized model folder (fp32 `onnx/model.onnx` with fused `Attention`)
 * @param to - the folder to write (must not exist)
 * @param how - `packed-split`: one MatMul on the packed weight, then Split; `shared-quantization`: three
 *   MatMuls sharing one DynamicQuantizeLinear after quantizing
 * @param hidden - the model's hidden size
 */
export async function writeMultiHeadAttentionVariant(
  from: string,
  to: string,
  how: AttentionRewrite,
  hidden: number,
): Promise<void> {
  if (existsSync(to)) throw new Error(`${to} exists`);
  await copyModelMetadata(from, to);
  mkdirSync(join(to, 'onnx'), { recursive: true });
  const model = await loadOnnxModel(join(from, 'onnx/model.onnx'));
  const graph = model.graph!;
  graph.initializer.push(int64Tensor('mha_split_sizes', [BigInt(hidden), BigInt(hidden), BigInt(hidden)]));
  const nodes: NodeProto[] = [];
  for (const n of graph.node) {
    if (n.op_type !== 'Attention' || n.domain !== MS) {
      nodes.push(n);
      continue;
    }
    const [x, w, bias, mask] = n.input as [string, string, string, string];
    const heads = Number(n.attribute.find((a) => a.name === 'num_heads')?.i ?? 1);
    const p = n.name ?? `attention_${nodes.length}`;
    const qkv = [`${p}_q`, `${p}_k`, `${p}_v`];
    if (how === 'packed-split') {
      nodes.push(makeNode('MatMul', [x, w], [`${p}_qkv`], { name: `${p}_qkv_matmul` }));
      nodes.push(
        makeNode('Split', [`${p}_qkv`, 'mha_split_sizes'], qkv, {
          name: `${p}_split`,
          attributes: { axis: -1 },
        }),
      );
    } else {
      const packed = tensorToFloat32(graph.initializer.find((t) => t.name === w)!);
      qkv.forEach((out, j) => {
        const part = new Float32Array(hidden * hidden);
        for (let k = 0; k < hidden; k++)
          part.set(
            packed.subarray(k * 3 * hidden + j * hidden, k * 3 * hidden + (j + 1) * hidden),
            k * hidden,
          );
        graph.initializer.push(float32Tensor(`${out}_weight`, [hidden, hidden], part));
        nodes.push(makeNode('MatMul', [x, `${out}_weight`], [out], { name: `${out}_matmul` }));
      });
    }
    nodes.push(
      makeNode('MultiHeadAttention', [...qkv, bias, mask], [...n.output], {
        name: `${p}_mha`,
        domain: MS,
        attributes: { num_heads: heads },
      }),
    );
  }
  graph.node = nodes;
  await saveOnnxModel(model, join(to, 'onnx/model.onnx'));
  await quantize(to, { bits: 8, onWarning: () => {} });
  if (how === 'shared-quantization') await shareActivationQuantization(join(to, 'onnx/model_quantized.onnx'));
}

/** Keeps one `DynamicQuantizeLinear` per quantized value: later ones on the same input are dropped and rewired. */
async function shareActivationQuantization(path: string): Promise<void> {
  const model = await loadOnnxModel(path);
  const graph = model.graph!;
  const first = new Map<string, string[]>();
  const rename = new Map<string, string>();
  const kept: NodeProto[] = [];
  for (const n of graph.node) {
    if (n.op_type === 'DynamicQuantizeLinear') {
      const earlier = first.get(n.input[0]!);
      if (earlier) {
        for (const [i, o] of n.output.entries()) rename.set(o, earlier[i]!);
        continue;
      }
      first.set(n.input[0]!, [...n.output]);
    }
    kept.push(n);
  }
  for (const n of kept) n.input = n.input.map((i) => rename.get(i) ?? i);
  graph.node = kept;
  await saveOnnxModel(model, path);
}

/** How {@link writeQ8NodeVariant} changes the quantized graph. */
export type Q8NodeRewrite = 'fast-gelu' | 'onnx-gelu' | 'bias-on-projection';

/**
 * Writes a copy of a quantized graph with one kind of node rewritten (see the file's comment).
 *
 * @param from - the optimized q8 graph
 * @param to - the file to write
 * @param how - which rewrite
 * @returns how many nodes were rewritten
 */
export async function writeQ8NodeVariant(from: string, to: string, how: Q8NodeRewrite): Promise<number> {
  const model = await loadOnnxModel(from);
  const graph = model.graph!;
  let count = 0;
  if (how === 'bias-on-projection') {
    const weights = new Set(graph.initializer.map((t) => t.name));
    const nodes: NodeProto[] = [];
    for (const n of graph.node) {
      // residual-layer-norm's Sum(projection, bias, residual): the bias Add joins the projection
      if (n.op_type === 'Sum' && n.input.length === 3 && weights.has(n.input[1]!)) {
        const [projection, bias, residual] = n.input as [string, string, string];
        const biased = `${n.name}_biased`;
        nodes.push(makeNode('Add', [projection, bias], [biased], { name: `${n.name}_bias_add` }));
        nodes.push(makeNode('Add', [biased, residual], [...n.output], { name: `${n.name}_residual_add` }));
        count++;
      } else {
        nodes.push(n);
      }
    }
    graph.node = nodes;
  } else {
    for (const n of graph.node) {
      if (n.op_type !== 'Gelu' || n.domain !== MS) continue;
      if (how === 'fast-gelu') n.op_type = 'FastGelu';
      else n.domain = '';
      count++;
    }
    if (how === 'onnx-gelu') {
      for (const o of model.opset_import) if (!o.domain) o.version = Math.max(Number(o.version), 20);
    }
  }
  await saveOnnxModel(model, to);
  return count;
}
