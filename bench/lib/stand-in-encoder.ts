/**
 * A stand-in for a BERT encoder that does almost nothing: `last_hidden_state` is the token embedding looked up
 * for each input id (plus the attention mask and token types, so every input is read), with the real model's
 * inputs, output shape and tokenizer. Run through `TransformersEmbedder`, it times what the embedder itself costs
 * (tokenizing, padding, the session call, pooling and normalizing) apart from the model's graph.
 */
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/onnx-build.js';
import { encodeOnnxModel } from '../../src/onnx/onnx-model.js';
import { float32Tensor, rawTensor } from '../../src/onnx/onnx-tensor.js';
import { TensorDataType } from '../../src/onnx/onnx-types.js';

/**
 * Writes the stand-in model folder: `from`'s config and tokenizer files, and an `onnx/model.onnx` of a few
 * cheap operators.
 *
 * @param from - the real model folder (config.json with `vocab_size` and `hidden_size`, tokenizer files)
 * @param to - the folder to write (created)
 * @param config - the real model's parsed config.json
 */
export async function writeStandInEncoder(
  from: string,
  to: string,
  config: Record<string, number>,
): Promise<void> {
  mkdirSync(join(to, 'onnx'), { recursive: true });
  for (const f of readdirSync(from))
    if (f !== 'onnx') cpSync(join(from, f), join(to, f), { recursive: true });
  const vocab = config['vocab_size']!;
  const hidden = config['hidden_size']!;
  const table = Float32Array.from({ length: vocab * hidden }, (_, i) => Math.sin(i));
  const lastAxis = new Uint8Array(new BigInt64Array([-1n]).buffer);
  const inputs = ['input_ids', 'attention_mask', 'token_type_ids'];
  const graph = makeGraph({
    nodes: [
      makeNode('Gather', ['table', 'input_ids'], ['looked_up']),
      makeNode('Add', ['attention_mask', 'token_type_ids'], ['per_token']),
      makeNode('Cast', ['per_token'], ['per_token_float'], { attributes: { to: TensorDataType.FLOAT } }),
      makeNode('Unsqueeze', ['per_token_float', 'last_axis'], ['per_token_column']),
      makeNode('Add', ['looked_up', 'per_token_column'], ['last_hidden_state']),
    ],
    inputs: inputs.map((n) => makeValueInfo(n, TensorDataType.INT64, ['batch', 'tokens'])),
    outputs: [makeValueInfo('last_hidden_state', TensorDataType.FLOAT, ['batch', 'tokens', hidden])],
    initializers: [
      float32Tensor('table', [vocab, hidden], table),
      rawTensor('last_axis', [1], TensorDataType.INT64, lastAxis),
    ],
  });
  writeFileSync(join(to, 'onnx', 'model.onnx'), await encodeOnnxModel(makeModel(graph)));
}
