import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { registerQuantizeCommand } from '../../src/cli/commands/quantize.js';
import { AbortedError } from '../../src/errors/aborted-error.js';
import { BotlensError } from '../../src/errors/botlens-error.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { ModelLoadError } from '../../src/errors/model-load-error.js';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/onnx-build.js';
import { decodeOnnxModel, encodeOnnxModel, loadOnnxModel } from '../../src/onnx/onnx-model.js';
import { float32Tensor, tensorFromFloat32 } from '../../src/onnx/onnx-tensor.js';
import { type ModelProto, TensorDataType } from '../../src/onnx/onnx-types.js';
import { hostInt8Range } from '../../src/quant/cpu-int8.js';
import { isFloatModelFile, quantize, quantizedFileName } from '../../src/quant/quantize.js';
import { alreadyQuantized, QUANT_METADATA_KEY, quantizeOnnxModel } from '../../src/quant/quantize-model.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';
import { cleanTemps, copyFixtures, cosine, maxAbsDiff } from './fixtures.js';
import { lcg } from './lcg.js';

function rand(n: number, seed: number, scale = 0.3): Float32Array {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, () => r() * scale);
}

/**
 * A small MLP with every linear-layer form the quantizer handles: MatMul + bias Add, a weight shared by two
 * MatMuls, Gemm with transB and bias, and a head MatMul reading a transposed table (tied weights).
 */
function mlp(): ModelProto {
  const nodes = [
    makeNode('MatMul', ['x', 'W1'], ['h1'], { name: 'fc1/MatMul' }),
    makeNode('Add', ['h1', 'b1'], ['h2'], { name: 'fc1/Add' }),
    makeNode('MatMul', ['x', 'W1'], ['h1b'], { name: 'fc1b/MatMul' }),
    makeNode('Add', ['h2', 'h1b'], ['h3'], { name: 'sum' }),
    makeNode('Relu', ['h3'], ['h4'], { name: 'relu' }),
    makeNode('Gemm', ['h4', 'W2', 'b2'], ['h5'], { name: 'fc2/Gemm', attributes: { transB: 1 } }),
    makeNode('Transpose', ['E'], ['Et'], { name: 'tied/Transpose', attributes: { perm: [1, 0] } }),
    makeNode('MatMul', ['h5', 'Et'], ['logits'], { name: 'head/MatMul' }),
  ];
  nodes[0]!.metadata_props.push({
    key: 'pkg.torch.onnx.name_scopes',
    value: "['', 'encoder', 'encoder.fc1', 'linear']",
  });
  nodes[5]!.metadata_props.push({
    key: 'pkg.torch.onnx.name_scopes',
    value: "['', 'encoder', 'encoder.fc2', 'linear_1']",
  });
  const graph = makeGraph({
    nodes,
    inputs: [makeValueInfo('x', TensorDataType.FLOAT, ['batch', 64])],
    outputs: [makeValueInfo('logits', TensorDataType.FLOAT, ['batch', 16])],
    initializers: [
      float32Tensor('W1', [64, 48], rand(64 * 48, 1)),
      float32Tensor('b1', [48], rand(48, 2)),
      float32Tensor('W2', [32, 48], rand(32 * 48, 3)),
      float32Tensor('b2', [32], rand(32, 4)),
      float32Tensor('E', [16, 32], rand(16 * 32, 5)),
    ],
  });
  return makeModel(graph, { opset: 18 });
}

async function run(model: ModelProto, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(await encodeOnnxModel(model));
  try {
    const out = await s.run({ x: new ort.Tensor('float32', x, [x.length / 64, 64]) });
    return out['logits']!.data as Float32Array;
  } finally {
    await s.release();
  }
}

const X = rand(4 * 64, 9, 2);

/** A `botlens` program with only the quantize command, throwing instead of exiting. */
function quantizeProgram(): Command {
  const program = new Command('botlens').exitOverride().configureOutput({ writeErr: () => {} });
  registerQuantizeCommand(program);
  return program;
}

/** What `run` prints to stdout. */
async function stdoutOf(run: () => Promise<unknown>): Promise<string> {
  const writes: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    writes.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = orig;
  }
  return writes.join('');
}

/** What `reduceRange: 'auto'` chooses on the machine running the tests. */
const HOST = hostInt8Range();

/** The largest |q| over the model's int8 initializers (the quantized weights). */
function int8Extent(m: ModelProto): number {
  let max = 0;
  for (const t of m.graph!.initializer) {
    if (t.data_type !== TensorDataType.INT8 || !t.raw_data) continue;
    for (const v of new Int8Array(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength)) {
      max = Math.max(max, Math.abs(v));
    }
  }
  return max;
}

function quantMetadata(m: ModelProto): Record<string, unknown> {
  return JSON.parse(m.metadata_props.find((e) => e.key === QUANT_METADATA_KEY)!.value!) as Record<
    string,
    unknown
  >;
}

describe('quantizeOnnxModel on a synthetic MLP', () => {
  it('rewrites MatMul, shared, Gemm and bias forms to int8 and keeps the head float32', async () => {
    const ref = await run(mlp(), X);
    for (const int8Format of ['matmul-integer', 'dynamic-matmul'] as const) {
      const m = mlp();
      const r = quantizeOnnxModel(m, { bits: 8, int8Format });
      expect(r.status).toBe('quantized');
      expect(r.quantized.map((q) => q.node)).toEqual(['fc1/MatMul', 'fc1b/MatMul', 'fc2/Gemm']);
      expect(r.quantized[0]!.module).toBe('encoder.fc1');
      expect(r.quantized[2]!.shape).toEqual([48, 32]);
      expect(r.kept).toEqual([
        { node: 'head/MatMul', op: 'MatMul', reason: 'output head kept in float32 (quantizeHead: false)' },
      ]);
      const g = m.graph!;
      const ops = g.node.map((n) => n.op_type);
      if (int8Format === 'matmul-integer') {
        expect(ops.filter((o) => o === 'MatMulInteger')).toHaveLength(3);
        expect(ops.filter((o) => o === 'DynamicQuantizeLinear')).toHaveLength(3);
        expect(g.node.every((n) => (n.domain ?? '') === '')).toBe(true);
      } else {
        expect(ops.filter((o) => o === 'DynamicQuantizeMatMul')).toHaveLength(3);
        // the bias Add is folded into the node
        expect(g.node.find((n) => n.name === 'fc1/Add')).toBeUndefined();
        expect(g.node.find((n) => n.output[0] === 'h2')?.input[4]).toBe('b1');
      }
      // the shared weight is stored once, as int8 with one scale per output column
      const q = g.initializer.filter((t) => t.name?.startsWith('W1_'));
      expect(q.map((t) => [t.name, t.data_type, t.dims])).toEqual([
        ['W1_quantized', TensorDataType.INT8, [64, 48]],
        ['W1_scale', TensorDataType.FLOAT, [48]],
      ]);
      expect(g.initializer.some((t) => t.name === 'W1')).toBe(false);
      expect(g.initializer.some((t) => t.name === 'E')).toBe(true);
      // the default ('auto') range suits this CPU, and is recorded
      expect(r.reduceRange).toEqual(HOST);
      expect(quantMetadata(m)).toMatchObject({
        bits: 8,
        format: int8Format,
        reduceRange: HOST.reduceRange,
      });
      const got = await run(m, X);
      expect(cosine(ref, got)).toBeGreaterThan(0.9995);
    }
  });

  it('reduceRange: true stores 7-bit weights in [-64, 64], accurate on any CPU, and records it', async () => {
    const ref = await run(mlp(), X);
    for (const int8Format of ['matmul-integer', 'dynamic-matmul'] as const) {
      const m = mlp();
      const r = quantizeOnnxModel(m, { bits: 8, int8Format, quantizeHead: true, reduceRange: true });
      expect(r.reduceRange?.reduceRange).toBe(true);
      expect(int8Extent(m)).toBe(64);
      expect(quantMetadata(m)).toMatchObject({ bits: 8, format: int8Format, reduceRange: true });
      expect(cosine(ref, await run(m, X))).toBeGreaterThan(0.9995);
    }
  });

  it('reduceRange: false stores full-range weights up to 127 and records it', () => {
    const m = mlp();
    const r = quantizeOnnxModel(m, { bits: 8, reduceRange: false });
    expect(r.reduceRange).toEqual({
      reduceRange: false,
      reason: 'reduceRange: false was asked (full 8-bit range)',
    });
    expect(int8Extent(m)).toBe(127);
    expect(quantMetadata(m)).toMatchObject({ reduceRange: false });
    const q4 = mlp();
    expect(quantizeOnnxModel(q4, { bits: 4, reduceRange: true }).reduceRange).toBeUndefined();
    expect(quantMetadata(q4)).not.toHaveProperty('reduceRange');
  });

  it.skipIf(HOST.reduceRange)(
    `full-range weights are as accurate where the CPU has VNNI${HOST.reduceRange ? ` (skipped here: ${HOST.reason})` : ''}`,
    async () => {
      const ref = await run(mlp(), X);
      for (const int8Format of ['matmul-integer', 'dynamic-matmul'] as const) {
        const m = mlp();
        quantizeOnnxModel(m, { bits: 8, int8Format, reduceRange: false });
        expect(cosine(ref, await run(m, X))).toBeGreaterThan(0.9995);
      }
    },
  );

  it('writes 4-bit MatMulNBits nodes with packed weights, block scales and the bias folded in', async () => {
    const ref = await run(mlp(), X);
    for (const [symmetric, blockSize] of [
      [true, 32],
      [false, 16],
    ] as const) {
      const m = mlp();
      const r = quantizeOnnxModel(m, { bits: 4, symmetric, blockSize });
      const nb = m.graph!.node.filter((n) => n.op_type === 'MatMulNBits');
      expect(nb).toHaveLength(3);
      const fc1 = nb[0]!;
      expect(fc1.domain).toBe('com.microsoft');
      expect(Object.fromEntries(fc1.attribute.map((a) => [a.name, a.i]))).toEqual({
        K: 64,
        N: 48,
        bits: 4,
        block_size: blockSize,
        accuracy_level: 4,
      });
      expect(fc1.input).toEqual(
        symmetric
          ? ['x', 'W1_Q4', 'W1_scales', '', '', 'b1']
          : ['x', 'W1_Q4', 'W1_scales', 'W1_zero_points', '', 'b1'],
      );
      const packed = m.graph!.initializer.find((t) => t.name === 'W1_Q4')!;
      expect(packed.dims).toEqual([48, 64 / blockSize, blockSize / 2]);
      // K=48 pads the second block of fc2 at block size 32, hence below 6.4x
      expect(r.bytesBefore / r.bytesAfter).toBeGreaterThan(symmetric ? 5.5 : 5);
      expect(cosine(ref, await run(m, X))).toBeGreaterThan(0.99);
    }
  });

  it('quantizes the head when asked, reading the transposed table, and drops the dead Transpose', async () => {
    const ref = await run(mlp(), X);
    const m = mlp();
    const r = quantizeOnnxModel(m, { bits: 8, quantizeHead: true });
    expect(r.quantized.map((q) => q.node)).toContain('head/MatMul');
    expect(m.graph!.node.some((n) => n.op_type === 'Transpose')).toBe(false);
    expect(m.graph!.initializer.some((t) => t.name === 'E')).toBe(false);
    expect(cosine(ref, await run(m, X))).toBeGreaterThan(0.999);
  });

  it('honours exclude by module segment, node name and RegExp', () => {
    const byModule = quantizeOnnxModel(mlp(), { bits: 8, exclude: ['fc1'] });
    expect(byModule.quantized.map((q) => q.node)).toEqual(['fc1b/MatMul', 'fc2/Gemm']);
    expect(byModule.kept.find((k) => k.node === 'fc1/MatMul')?.reason).toBe('excluded by fc1');
    const byName = quantizeOnnxModel(mlp(), { bits: 8, exclude: ['fc2/Gemm'] });
    expect(byName.quantized.map((q) => q.node)).toEqual(['fc1/MatMul', 'fc1b/MatMul']);
    const byRegExp = quantizeOnnxModel(mlp(), { bits: 4, exclude: [/^fc1/] });
    expect(byRegExp.quantized.map((q) => q.node)).toEqual(['fc2/Gemm']);
  });

  it('keeps layers it cannot quantize (float16 weights, K below 16 for 4-bit) and says why', () => {
    const m = mlp();
    const w1 = m.graph!.initializer.find((t) => t.name === 'W1')!;
    Object.assign(w1, tensorFromFloat32('W1', [64, 48], rand(64 * 48, 1), TensorDataType.FLOAT16));
    const r = quantizeOnnxModel(m, { bits: 8 });
    expect(r.kept.filter((k) => /float16/.test(k.reason)).map((k) => k.node)).toEqual([
      'fc1/MatMul',
      'fc1b/MatMul',
    ]);
    expect(r.quantized.map((q) => q.node)).toEqual(['fc2/Gemm']);

    const small = makeModel(
      makeGraph({
        nodes: [makeNode('MatMul', ['x', 'W'], ['y'], { name: 'mm' }), makeNode('Relu', ['y'], ['z'])],
        inputs: [makeValueInfo('x', TensorDataType.FLOAT, ['b', 8])],
        outputs: [makeValueInfo('z', TensorDataType.FLOAT, ['b', 8])],
        initializers: [float32Tensor('W', [8, 8], rand(64, 3))],
      }),
    );
    const r4 = quantizeOnnxModel(small, { bits: 4 });
    expect(r4.status).toBe('nothing-to-quantize');
    expect(r4.kept[0]!.reason).toMatch(/K=8/);
    expect(small.graph!.node.map((n) => n.op_type)).toEqual(['MatMul', 'Relu']);
  });

  it('leaves operators it does not know as they are, with a warning, and quantizes the rest', () => {
    const m = mlp();
    m.graph!.node.splice(4, 1, makeNode('Swish', ['h3'], ['h4'], { name: 'custom', domain: 'com.example' }));
    const r = quantizeOnnxModel(m, { bits: 8 });
    expect(r.warnings).toEqual([
      'Operator com.example.Swish (1 node) is not one botlens quantizes; it was left as it is (any weights inside it stay float32).',
    ]);
    expect(r.quantized).toHaveLength(3);
    const custom = m.graph!.node.find((n) => n.name === 'custom')!;
    expect([custom.domain, custom.op_type, custom.input, custom.output]).toEqual([
      'com.example',
      'Swish',
      ['h3'],
      ['h4'],
    ]);
  });

  it('leaves an already quantized model untouched with a warning, including its own output', async () => {
    const m = mlp();
    quantizeOnnxModel(m, { bits: 8 });
    const before = await encodeOnnxModel(m);
    const again = quantizeOnnxModel(m, { bits: 4 });
    expect(again.status).toBe('already-quantized');
    expect(again.warnings[0]).toMatch(/already quantized/);
    expect(Buffer.from(await encodeOnnxModel(m)).equals(Buffer.from(before))).toBe(true);
    expect(alreadyQuantized(mlp())).toBeUndefined();
  });

  it('drops weights an old exporter also listed as graph inputs, so the quantized model needs only x', async () => {
    const m = mlp();
    m.graph!.input.push(
      makeValueInfo('W1', TensorDataType.FLOAT, [64, 48]),
      makeValueInfo('E', TensorDataType.FLOAT, [16, 32]),
    );
    quantizeOnnxModel(m, { bits: 8 });
    expect(m.graph!.input.map((i) => i.name)).toEqual(['x', 'E']);
    expect(cosine(await run(mlp(), X), await run(m, X))).toBeGreaterThan(0.999);
  });

  it('warns that layers inside If/Loop subgraphs stay float32', () => {
    const m = mlp();
    const branch = makeGraph({
      nodes: [makeNode('MatMul', ['h5', 'W3'], ['b_out'])],
      inputs: [],
      outputs: [makeValueInfo('b_out', TensorDataType.FLOAT)],
    });
    m.graph!.node.push(
      makeNode('If', ['cond'], ['maybe'], {
        name: 'if',
        attributes: { then_branch: branch, else_branch: branch },
      }),
    );
    const r = quantizeOnnxModel(m, { bits: 8 });
    expect(r.warnings.join(' ')).toMatch(/2 MatMul\/Gemm node\(s\) inside If\/Loop\/Scan subgraphs/);
    expect(r.quantized).toHaveLength(3);
  });

  it('rejects bad options with InvalidOptionsError and stops on an aborted signal', () => {
    expect(() => quantizeOnnxModel(mlp(), { bits: 2 as never })).toThrow(InvalidOptionsError);
    expect(() => quantizeOnnxModel(mlp(), { bits: 4, blockSize: 48 as never })).toThrow(/blockSize/);
    expect(() => quantizeOnnxModel(mlp(), { bits: 8, int8Format: 'qdq' as never })).toThrow(/int8Format/);
    expect(() => quantizeOnnxModel(mlp(), { bits: 4, accuracyLevel: 7 as never })).toThrow(/accuracyLevel/);
    expect(() => quantizeOnnxModel(mlp(), { bits: 8, exclude: [3 as never] })).toThrow(/exclude/);
    expect(() => quantizeOnnxModel(mlp(), { bits: 8, reduceRange: 'on' as never })).toThrow(/reduceRange/);
    const ac = new AbortController();
    ac.abort();
    expect(() => quantizeOnnxModel(mlp(), { bits: 8, signal: ac.signal })).toThrow(AbortedError);
  });
});

describe('file names', () => {
  it('maps float model files to the transformers.js dtype names', () => {
    expect(quantizedFileName('model.onnx', 'q8')).toBe('model_quantized.onnx');
    expect(quantizedFileName('vision_model.onnx', 'q4')).toBe('vision_model_q4.onnx');
    expect(
      [
        'model.onnx',
        'model_quantized.onnx',
        'model_q4.onnx',
        'model_fp16.onnx',
        'text_model.onnx',
        'x.onnx_data',
      ].filter(isFloatModelFile),
    ).toEqual(['model.onnx', 'text_model.onnx']);
  });
});

describeWithShared('quantize() on folders: refusals, warnings, embeddings, CLI', () => {
  afterAll(cleanTemps);

  it('refuses to overwrite an existing output unless asked, and then replaces it', async () => {
    const root = copyFixtures('tiny-bert');
    const dir = join(root, 'tiny-bert');
    const target = join(dir, 'onnx', 'model_quantized.onnx');
    const original = readFileSync(target);
    const err = await quantize(dir, { bits: 8 }).catch((e: unknown) => e);
    expect(BotlensError.isInstance(err) && err.code).toBe('QUANT_OUTPUT_EXISTS');
    expect(readFileSync(target).equals(original)).toBe(true);
    const r = await quantize(dir, { bits: 8, overwrite: true, verify: false });
    expect(r.files[0]!.cosine).toBeUndefined();
    expect(alreadyQuantized(await decodeOnnxModel(readFileSync(target)))).toBe(
      'botlens already quantized it',
    );
  });

  it('warns when full-range int8 weights are asked for on a CPU whose int8 kernels saturate (only there)', async () => {
    const root = copyFixtures('tiny-bert');
    const dir = join(root, 'tiny-bert');
    const saturation = /full-range int8 weights on a CPU where ONNX Runtime's int8 kernels saturate/;
    const full: string[] = [];
    const r = await quantize(dir, {
      bits: 8,
      overwrite: true,
      verify: false,
      reduceRange: false,
      onWarning: (w) => full.push(w),
    });
    expect(full.some((w) => saturation.test(w))).toBe(HOST.reduceRange);
    expect(r.warnings.some((w) => saturation.test(w))).toBe(HOST.reduceRange);
    const seven: string[] = [];
    await quantize(dir, {
      bits: 8,
      overwrite: true,
      verify: false,
      reduceRange: true,
      onWarning: (w) => seven.push(w),
    });
    expect(seven.some((w) => saturation.test(w))).toBe(false);
  });

  it('leaves an already quantized model as it is with a warning and writes nothing', async () => {
    const root = copyFixtures('tiny-bert-nli');
    const dir = join(root, 'tiny-bert-nli');
    // a folder whose "float" model is in fact ONNX Runtime's quantized one
    copyFileSync(join(dir, 'onnx', 'model_quantized.onnx'), join(dir, 'onnx', 'model.onnx'));
    const before = readFileSync(join(dir, 'onnx', 'model.onnx'));
    const warnings: string[] = [];
    const r = await quantize(dir, { bits: 4, onWarning: (w) => warnings.push(w) });
    expect(r.files[0]!.report.status).toBe('already-quantized');
    expect(r.files[0]!.output).toBeUndefined();
    expect(warnings).toEqual([
      'model.onnx: The model is already quantized (it contains DequantizeLinear nodes); it was left as it is.',
    ]);
    expect(existsSync(join(dir, 'onnx', 'model_q4.onnx'))).toBe(false);
    expect(readFileSync(join(dir, 'onnx', 'model.onnx')).equals(before)).toBe(true);
  });

  it('reports missing folders and files with ModelLoadError and bad arguments with InvalidOptionsError', async () => {
    const root = copyFixtures('tiny-bert');
    await expect(quantize(join(root, 'nope'), { bits: 8 })).rejects.toThrow(ModelLoadError);
    await expect(quantize(join(root, 'tiny-bert'), { bits: 8, files: ['other.onnx'] })).rejects.toThrow(
      /does not exist/,
    );
    await expect(quantize(join(root, 'tiny-bert'), { bits: 8, files: ['../x.onnx'] })).rejects.toThrow(
      InvalidOptionsError,
    );
    await expect(
      quantize(join(root, 'tiny-bert'), { bits: 8, overwrite: true, minCosine: 2 }),
    ).rejects.toThrow(/minCosine/);
    writeFileSync(join(root, 'tiny-bert', 'onnx', 'model.onnx'), 'not onnx');
    await expect(quantize(join(root, 'tiny-bert'), { bits: 8, overwrite: true })).rejects.toThrow(
      /not a valid ONNX model/,
    );
  });

  it('reads a float model whose weights live in an external data file, and verifies it', async () => {
    const root = copyFixtures('tiny-bert');
    const dir = join(root, 'tiny-bert');
    const model = await loadOnnxModel(join(dir, 'onnx', 'model.onnx'));
    // move every matrix initializer into onnx/model.onnx_data, as exporters do for large models
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const t of model.graph!.initializer) {
      if (t.dims.length !== 2 || !t.raw_data) continue;
      const bytes = Buffer.from(t.raw_data);
      t.external_data = [
        { key: 'location', value: 'model.onnx_data' },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.length) },
      ];
      t.data_location = 1;
      delete t.raw_data;
      chunks.push(bytes);
      offset += bytes.length;
    }
    writeFileSync(join(dir, 'onnx', 'model.onnx_data'), Buffer.concat(chunks));
    writeFileSync(join(dir, 'onnx', 'model.onnx'), await encodeOnnxModel(model));
    expect(statSync(join(dir, 'onnx', 'model.onnx_data')).size).toBe(offset);
    expect(statSync(join(dir, 'onnx', 'model.onnx')).size).toBeLessThan(
      statSync(join(HF_TINY, 'tiny-bert', 'onnx', 'model.onnx')).size - offset + 1000,
    );
    const r = await quantize(dir, { bits: 4, overwrite: true });
    expect(r.files[0]!.report.quantized).toHaveLength(12);
    expect(r.files[0]!.cosine!).toBeGreaterThan(0.99);
    const q = await loadOnnxModel(r.files[0]!.output!);
    expect(q.graph!.initializer.every((t) => t.data_location !== 1)).toBe(true);
  });

  it('quantizes embedding tables on request, keeping a table tied to the LM head in float32', async () => {
    const root = copyFixtures('tiny-bert', 'tiny-gpt2');
    const bert = await quantize(join(root, 'tiny-bert'), {
      bits: 8,
      overwrite: true,
      quantizeEmbeddings: true,
    });
    const rep = bert.files[0]!.report;
    expect(rep.quantized.filter((q) => q.op === 'Gather').map((q) => q.shape)).toEqual([
      [1500, 32],
      [2, 32],
      [512, 32],
    ]);
    expect(bert.files[0]!.cosine!).toBeGreaterThan(0.999);
    const gpt = await quantize(join(root, 'tiny-gpt2'), {
      bits: 8,
      overwrite: true,
      quantizeEmbeddings: true,
    });
    const kept = gpt.files[0]!.report.kept.find((k) => k.op === 'Gather');
    expect(kept?.reason).toMatch(/shared with another node/);
    expect(gpt.files[0]!.cosine!).toBeGreaterThan(0.999);
  });

  it('runs as `botlens quantize DIR --bits 4 --block-size 64` and prints a table', async () => {
    const root = copyFixtures('tiny-bert-cls');
    const program = quantizeProgram();
    const out = await stdoutOf(() =>
      program.parseAsync(
        ['quantize', join(root, 'tiny-bert-cls'), '--bits', '4', '--block-size', '64', '--exclude', 'pooler'],
        { from: 'user' },
      ),
    );
    expect(out).toMatch(/model\.onnx\s+model_q4\.onnx\s+12\s+2\s/);
    expect(out).toContain("load it with dtype: 'q4'");
    const model = await loadOnnxModel(join(root, 'tiny-bert-cls', 'onnx', 'model_q4.onnx'));
    const nb = model.graph!.node.find((n) => n.op_type === 'MatMulNBits')!;
    expect(nb.attribute.find((a) => a.name === 'block_size')?.i).toBe(64);
    await expect(
      program.parseAsync(['quantize', join(root, 'tiny-bert-cls'), '--bits', '3'], { from: 'user' }),
    ).rejects.toThrow(/--bits/);
  });

  it('runs as `botlens quantize DIR --bits 8 --reduce-range on|off` and prints the range it used', async () => {
    const root = copyFixtures('tiny-bert');
    const dir = join(root, 'tiny-bert');
    const program = quantizeProgram();
    const quantizeCli = (...args: string[]) =>
      stdoutOf(() =>
        program.parseAsync(['quantize', dir, '--bits', '8', '--overwrite', ...args], { from: 'user' }),
      );
    const written = () => loadOnnxModel(join(dir, 'onnx', 'model_quantized.onnx'));
    expect(await quantizeCli('--reduce-range', 'on')).toContain(
      'int8 weights: 7-bit (reduce range); reduceRange: true was asked',
    );
    let m = await written();
    expect(int8Extent(m)).toBeLessThanOrEqual(64);
    expect(quantMetadata(m)).toMatchObject({ reduceRange: true });
    expect(await quantizeCli('--reduce-range', 'off')).toContain('int8 weights: full 8-bit range;');
    m = await written();
    expect(int8Extent(m)).toBe(127);
    expect(quantMetadata(m)).toMatchObject({ reduceRange: false });
    const auto = await quantizeCli();
    expect(auto).toContain(`; ${HOST.reason}`);
    expect(quantMetadata(await written())).toMatchObject({ reduceRange: HOST.reduceRange });
    await expect(quantizeCli('--reduce-range', 'maybe')).rejects.toThrow(/--reduce-range/);
  });

  it('a quantized model runs the same in ONNX Runtime whichever int8 format is used', async () => {
    const a = await loadOnnxModel(join(HF_TINY, 'tiny-bert', 'onnx', 'model.onnx'));
    const b = await loadOnnxModel(join(HF_TINY, 'tiny-bert', 'onnx', 'model.onnx'));
    quantizeOnnxModel(a, { bits: 8, int8Format: 'matmul-integer' });
    quantizeOnnxModel(b, { bits: 8, int8Format: 'dynamic-matmul' });
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from([2n, 50n, 60n, 70n, 3n]), [1, 5]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(5).fill(1n), [1, 5]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(5), [1, 5]),
    };
    const outs: Float32Array[] = [];
    for (const m of [a, b]) {
      const s = await ort.InferenceSession.create(await encodeOnnxModel(m));
      outs.push((await s.run(feeds))['last_hidden_state']!.data as Float32Array);
      await s.release();
    }
    expect(maxAbsDiff(outs[0]!, outs[1]!)).toBeLessThan(1e-5);
  });
});
