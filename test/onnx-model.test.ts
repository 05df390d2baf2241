import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../src/errors/model-load-error.js';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../src/onnx/onnx-build.js';
import { addGraphOutput, consumersOf, nodeModuleScope, setNodeInitializer } from '../src/onnx/onnx-graph.js';
import {
  decodeOnnxModel,
  encodeOnnxModel,
  findInitializer,
  loadOnnxModel,
  replaceInitializer,
  saveOnnxModel,
} from '../src/onnx/onnx-model.js';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32Tensor,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  tensorFromFloat32,
  tensorToFloat32,
} from '../src/onnx/onnx-tensor.js';
import { DataLocation, type ModelProto, TensorDataType, type TensorProto } from '../src/onnx/onnx-types.js';
import { describeWithShared, HF_TINY } from './helpers/shared.js';

type Ort = typeof import('onnxruntime-node');
let ort: Ort;
let dir: string;

beforeAll(async () => {
  ort = await import('onnxruntime-node');
  dir = await mkdtemp(join(tmpdir(), 'botlens-onnx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(
  bytes: Uint8Array,
  feeds: Record<string, { type: 'float32' | 'int64'; data: number[]; dims: number[] }>,
) {
  const session: InferenceSession = await ort.InferenceSession.create(bytes);
  const f: Record<string, InstanceType<Ort['Tensor']>> = {};
  for (const [k, v] of Object.entries(feeds)) {
    f[k] =
      v.type === 'int64'
        ? new ort.Tensor('int64', BigInt64Array.from(v.data.map((x) => BigInt(x))), v.dims)
        : new ort.Tensor('float32', Float32Array.from(v.data), v.dims);
  }
  const out = await session.run(f);
  await session.release();
  return out;
}

/** y = x @ W + b with W [2, 3]; a second output z = relu(y). */
function tinyLinear(): ModelProto {
  return makeModel(
    makeGraph({
      nodes: [
        makeNode('MatMul', ['x', 'onnx::MatMul_1'], ['mm'], { name: '/dense/MatMul' }),
        makeNode('Add', ['mm', 'dense.bias'], ['y'], { name: '/dense/Add' }),
        makeNode('Relu', ['y'], ['z'], { name: '/act/Relu' }),
      ],
      inputs: [makeValueInfo('x', TensorDataType.FLOAT, ['batch', 2])],
      outputs: [makeValueInfo('z', TensorDataType.FLOAT, ['batch', 3])],
      initializers: [
        float32Tensor('onnx::MatMul_1', [2, 3], [1, 2, 3, 4, 5, 6]),
        float32Tensor('dense.bias', [3], [0.5, -100, 0]),
      ],
    }),
  );
}

describe('ONNX model I/O on a model built in TypeScript', () => {
  it('encodes a model ONNX Runtime runs, and decodes it back to the same structure', async () => {
    const model = tinyLinear();
    const bytes = await encodeOnnxModel(model);
    const out = await run(bytes, { x: { type: 'float32', data: [1, 1], dims: [1, 2] } });
    // y = [1+4+0.5, 2+5-100, 3+6] -> relu
    expect(Array.from(out['z']!.data as Float32Array)).toEqual([5.5, 0, 9]);
    const back = await decodeOnnxModel(bytes);
    expect(back.graph!.node.map((n) => n.op_type)).toEqual(['MatMul', 'Add', 'Relu']);
    expect(Array.from(tensorToFloat32(findInitializer(back.graph!, 'onnx::MatMul_1')!))).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(await encodeOnnxModel(back)).toEqual(bytes);
  });

  it('replaceInitializer changes what the model computes, and refuses an unknown name', async () => {
    const model = tinyLinear();
    replaceInitializer(model.graph!, float32Tensor('dense.bias', [3], [0, 0, 1]));
    const out = await run(await encodeOnnxModel(model), {
      x: { type: 'float32', data: [1, 1], dims: [1, 2] },
    });
    expect(Array.from(out['z']!.data as Float32Array)).toEqual([5, 7, 10]);
    expect(() => replaceInitializer(model.graph!, float32Tensor('nope', [1], [0]))).toThrow(
      /no initializer named "nope"/,
    );
  });

  it('addGraphOutput exposes an intermediate value to ONNX Runtime', async () => {
    const model = tinyLinear();
    addGraphOutput(model.graph!, 'y');
    const out = await run(await encodeOnnxModel(model), {
      x: { type: 'float32', data: [1, 1], dims: [1, 2] },
    });
    expect(Array.from(out['y']!.data as Float32Array)).toEqual([5.5, -93, 9]);
    expect(() => addGraphOutput(model.graph!, 'missing')).toThrow(/no node of the graph produces/);
  });

  it('setNodeInitializer gives a shared initializer a private copy', () => {
    const model = tinyLinear();
    const g = model.graph!;
    g.node.push(makeNode('Add', ['z', 'dense.bias'], ['w'], { name: '/other/Add' }));
    const add = g.node[1]!;
    const name = setNodeInitializer(g, add, 1, float32Tensor('dense.bias', [3], [9, 9, 9]));
    expect(name).not.toBe('dense.bias');
    expect(Array.from(tensorToFloat32(findInitializer(g, 'dense.bias')!))).toEqual([0.5, -100, 0]);
    expect(Array.from(tensorToFloat32(findInitializer(g, name)!))).toEqual([9, 9, 9]);
    expect(consumersOf(g, 'dense.bias').map((n) => n.name)).toEqual(['/other/Add']);
  });

  it('keeps int64 sentinels exact through a round trip (INT64_MAX in a Slice end)', async () => {
    const ends: TensorProto = {
      ...float32Tensor('ends', [1], [0]),
      data_type: TensorDataType.INT64,
      raw_data: undefined,
    };
    ends.int64_data = [2 ** 63 - 1];
    const starts: TensorProto = {
      ...float32Tensor('starts', [1], [0]),
      data_type: TensorDataType.INT64,
      raw_data: undefined,
    };
    starts.int64_data = [1];
    const model = makeModel(
      makeGraph({
        nodes: [makeNode('Slice', ['x', 'starts', 'ends'], ['y'])],
        inputs: [makeValueInfo('x', TensorDataType.FLOAT, [4])],
        outputs: [makeValueInfo('y', TensorDataType.FLOAT)],
        initializers: [starts, ends],
      }),
    );
    const bytes = await encodeOnnxModel(await decodeOnnxModel(await encodeOnnxModel(model)));
    const out = await run(bytes, { x: { type: 'float32', data: [1, 2, 3, 4], dims: [4] } });
    expect(Array.from(out['y']!.data as Float32Array)).toEqual([2, 3, 4]);
    // The raw varint of INT64_MAX is 9 bytes of 0xff.. 0x7f; a wrap to INT64_MIN would encode differently.
    const again = (await decodeOnnxModel(bytes)).graph!.initializer.find((t) => t.name === 'ends')!;
    expect(again.int64_data[0]).toBe(2 ** 63);
    expect(
      Buffer.from(bytes).includes(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])),
    ).toBe(true);
  });

  it('converts fp16 and bf16 both ways, and reads typed fields as well as raw_data', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 2 ** -24]) {
      expect(float16BitsToFloat32(float32ToFloat16Bits(v))).toBe(v);
    }
    expect(float16BitsToFloat32(float32ToFloat16Bits(1e6))).toBe(Number.POSITIVE_INFINITY);
    expect(float16BitsToFloat32(float32ToFloat16Bits(1.0009765625 + 1e-7))).toBeCloseTo(1.0009765625, 9);
    for (const v of [0, 1, -3, 0.15625, 2 ** 127])
      expect(bfloat16BitsToFloat32(float32ToBfloat16Bits(v))).toBe(v);
    const h = tensorFromFloat32('h', [3], [1, -0.5, 2], TensorDataType.FLOAT16);
    expect(h.raw_data!.length).toBe(6);
    expect(Array.from(tensorToFloat32(h))).toEqual([1, -0.5, 2]);
    const b = tensorFromFloat32('b', [2], [1.5, -4], TensorDataType.BFLOAT16);
    expect(Array.from(tensorToFloat32(b))).toEqual([1.5, -4]);
    const typed: TensorProto = {
      ...float32Tensor('f', [2], [0, 0]),
      raw_data: undefined,
      float_data: [0.25, 8],
    };
    expect(Array.from(tensorToFloat32(typed))).toEqual([0.25, 8]);
    const bad: TensorProto = { ...float32Tensor('f', [3], [0, 0, 0]), raw_data: new Uint8Array(8) };
    expect(() => tensorToFloat32(bad)).toThrow(/8 bytes for 3 FLOAT elements/);
    expect(() => tensorToFloat32({ ...typed, data_type: TensorDataType.STRING })).toThrow(/STRING/);
    expect(() => float32Tensor('x', [2, 2], [1, 2, 3])).toThrow(/3 values for shape \[2, 2\]/);
  });

  it('reads external data into the model, and refuses it when asked to or when it escapes the folder', async () => {
    const model = tinyLinear();
    const w = findInitializer(model.graph!, 'onnx::MatMul_1')!;
    const data = w.raw_data!;
    await writeFile(join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(16), Buffer.from(data)]));
    w.raw_data = undefined;
    w.data_location = DataLocation.EXTERNAL;
    w.external_data = [
      { key: 'location', value: 'weights.bin' },
      { key: 'offset', value: '16' },
      { key: 'length', value: String(data.length) },
    ];
    const path = join(dir, 'ext.onnx');
    await saveOnnxModel(model, path);
    const decoded = await decodeOnnxModel(new Uint8Array(Buffer.from(await encodeOnnxModel(model))));
    expect(() => tensorToFloat32(decoded.graph!.initializer[0]!)).toThrow(/external data/);
    const loaded = await loadOnnxModel(path);
    expect(Array.from(tensorToFloat32(findInitializer(loaded.graph!, 'onnx::MatMul_1')!))).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    const out = await run(await encodeOnnxModel(loaded), {
      x: { type: 'float32', data: [1, 1], dims: [1, 2] },
    });
    expect(Array.from(out['z']!.data as Float32Array)).toEqual([5.5, 0, 9]);
    await expect(loadOnnxModel(path, { externalData: 'error' })).rejects.toThrow(/external data files/);
    w.external_data[0] = { key: 'location', value: '../weights.bin' };
    await saveOnnxModel(model, path);
    await expect(loadOnnxModel(path)).rejects.toThrow(/invalid external data location/);
  });

  it('gives a ModelLoadError naming the file for a missing file or non-ONNX bytes', async () => {
    const missing = join(dir, 'nope.onnx');
    const err = await loadOnnxModel(missing).catch((e: unknown) => e);
    expect(ModelLoadError.isInstance(err)).toBe(true);
    expect((err as ModelLoadError).file).toBe(missing);
    const junk = join(dir, 'junk.onnx');
    await writeFile(junk, 'this is not a protobuf at all, just text');
    await expect(loadOnnxModel(junk)).rejects.toThrow(/not a valid ONNX model/);
    await expect(decodeOnnxModel(new Uint8Array(0))).rejects.toThrow(/no ONNX graph/);
  });
});

describeWithShared('ONNX model I/O on the exported fixtures', () => {
  it('decode + encode of tiny-bert-cls is byte-identical and gives identical logits in ONNX Runtime', async () => {
    const path = resolve(HF_TINY, 'tiny-bert-cls/onnx/model.onnx');
    const bytes = new Uint8Array(await readFile(path));
    const model = await loadOnnxModel(path);
    const again = await encodeOnnxModel(model);
    expect(Buffer.compare(Buffer.from(again), Buffer.from(bytes))).toBe(0);
    const ids = [2, 543, 605, 5, 528, 524, 517, 565, 611, 34, 3];
    const feeds = {
      input_ids: { type: 'int64' as const, data: ids, dims: [1, ids.length] },
      attention_mask: { type: 'int64' as const, data: ids.map(() => 1), dims: [1, ids.length] },
      token_type_ids: { type: 'int64' as const, data: ids.map(() => 0), dims: [1, ids.length] },
    };
    const a = await run(bytes, feeds);
    const b = await run(again, feeds);
    expect(Array.from(b['logits']!.data as Float32Array)).toEqual(
      Array.from(a['logits']!.data as Float32Array),
    );
    // The dynamo exporter's scope metadata names the module each MatMul came from.
    const scopes = model.graph!.node.filter((n) => n.op_type === 'MatMul').map(nodeModuleScope);
    expect(scopes).toContain('bert.encoder.layer.1.attention.self.value');
  });

  it('round-trips the uint8-quantized and 4-bit fixtures to models that compute the same', async () => {
    for (const file of ['tiny-bert/onnx/model_quantized.onnx', 'tiny-bert/onnx/model_q4.onnx']) {
      const bytes = new Uint8Array(await readFile(resolve(HF_TINY, file)));
      const again = await encodeOnnxModel(await decodeOnnxModel(bytes));
      const ids = [2, 48, 531, 520, 3];
      const feeds = {
        input_ids: { type: 'int64' as const, data: ids, dims: [1, 5] },
        attention_mask: { type: 'int64' as const, data: [1, 1, 1, 1, 1], dims: [1, 5] },
        token_type_ids: { type: 'int64' as const, data: [0, 0, 0, 0, 0], dims: [1, 5] },
      };
      const a = await run(bytes, feeds);
      const b = await run(again, feeds);
      const key = Object.keys(a)[0]!;
      expect(Array.from(b[key]!.data as Float32Array)).toEqual(Array.from(a[key]!.data as Float32Array));
    }
  });
});
