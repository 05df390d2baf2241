import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterError } from '../../src/errors/adapter-error.js';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/onnx-build.js';
import { encodeOnnxModel, loadOnnxModel } from '../../src/onnx/onnx-model.js';
import { float32Tensor, float32ToBfloat16Bits, float32ToFloat16Bits } from '../../src/onnx/onnx-tensor.js';
import {
  type ModelProto,
  type NodeProto,
  TensorDataType,
  type TensorProto,
} from '../../src/onnx/onnx-types.js';
import { loraScaling, parseAdapterConfig } from '../../src/peft/adapter/adapter-config.js';
import { readLoraAdapter } from '../../src/peft/adapter/read-adapter.js';
import { encodeSafetensors, parseSafetensors } from '../../src/peft/adapter/safetensors.js';
import {
  type MergeLoraOptions,
  mergeLoraAdapter,
  mergeLoraIntoModel,
  readLinear,
} from '../../src/peft/merge.js';
import { acquireModel, loadTransformers } from '../../src/runtime/load-model.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'botlens-merge-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic pseudo-random numbers in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const IN = 4;
const HID = 3;
const OUT = 2;

/** A model from `x` [batch, IN] to `y` [batch, OUT] through `nodes`. */
function mlpModel(nodes: NodeProto[], initializers: TensorProto[]): ModelProto {
  return makeModel(
    makeGraph({
      nodes,
      inputs: [makeValueInfo('x', TensorDataType.FLOAT, ['batch', IN])],
      outputs: [makeValueInfo('y', TensorDataType.FLOAT, ['batch', OUT])],
      initializers,
    }),
  );
}

/**
 * A two-layer MLP exported the way hub models are: `onnx::MatMul_*` initializers stored [in, out], nodes named
 * after their module. `dense` has a bias Add; `head` is a MatMul whose bias was dropped.
 */
function hubStyleModel(w1: Float32Array, b1: Float32Array, w2: Float32Array): ModelProto {
  return mlpModel(
    [
      makeNode('MatMul', ['x', 'onnx::MatMul_11'], ['h0'], { name: '/enc/dense/MatMul' }),
      makeNode('Add', ['enc.dense.bias', 'h0'], ['h1'], { name: '/enc/dense/Add' }),
      makeNode('Tanh', ['h1'], ['h2'], { name: '/enc/act/Tanh' }),
      makeNode('MatMul', ['h2', 'onnx::MatMul_12'], ['y'], { name: '/head/MatMul' }),
    ],
    [
      float32Tensor('onnx::MatMul_11', [IN, HID], w1),
      float32Tensor('enc.dense.bias', [HID], b1),
      float32Tensor('onnx::MatMul_12', [HID, OUT], w2),
    ],
  );
}

/** y = tanh(x W1 + b1) W2 + b2 with PyTorch-oriented weights ([out, in]). */
function forward(
  x: Float32Array,
  W1: Float32Array,
  b1: Float32Array,
  W2: Float32Array,
  b2: Float32Array,
): number[] {
  const h = new Array<number>(HID);
  for (let o = 0; o < HID; o++) {
    let s = b1[o]!;
    for (let i = 0; i < IN; i++) s += W1[o * IN + i]! * x[i]!;
    h[o] = Math.tanh(s);
  }
  const y: number[] = [];
  for (let o = 0; o < OUT; o++) {
    let s = b2[o]!;
    for (let i = 0; i < HID; i++) s += W2[o * HID + i]! * h[i]!;
    y.push(s);
  }
  return y;
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
}

async function runOrt(model: ModelProto, x: Float32Array): Promise<number[]> {
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(await encodeOnnxModel(model));
  const out = await s.run({ x: new ort.Tensor('float32', x, [1, IN]) });
  await s.release();
  return Array.from(out['y']!.data as Float32Array);
}

async function writeAdapter(
  name: string,
  config: Record<string, unknown>,
  tensors: Record<string, { shape: number[]; data: Float32Array }>,
): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  await writeFile(
    join(folder, 'adapter_config.json'),
    JSON.stringify({ peft_type: 'LORA', task_type: 'SEQ_CLS', ...config }),
  );
  await writeFile(join(folder, 'adapter_model.safetensors'), encodeSafetensors(tensors));
  return folder;
}

describe('merging a LoRA adapter into a hub-style ONNX graph', () => {
  const w1 = rand(IN * HID, 1); // stored [in, out]
  const b1 = rand(HID, 2);
  const w2 = rand(HID * OUT, 3);
  const A = rand(2 * IN, 4); // r = 2
  const B = rand(HID * 2, 5);
  const headW = rand(OUT * HID, 6);
  const headB = rand(OUT, 7);
  const x = rand(IN, 8);

  it('adds scaling * B @ A in the [in, out] layout, replaces modules_to_save and restores a dropped bias', async () => {
    const folder = await writeAdapter(
      'hub-style',
      { r: 2, lora_alpha: 3, target_modules: ['dense'], modules_to_save: ['head'], use_rslora: true },
      {
        'base_model.model.enc.dense.lora_A.weight': { shape: [2, IN], data: A },
        'base_model.model.enc.dense.lora_B.weight': { shape: [HID, 2], data: B },
        'base_model.model.head.weight': { shape: [OUT, HID], data: headW },
        'base_model.model.head.bias': { shape: [OUT], data: headB },
      },
    );
    const model = hubStyleModel(w1, b1, w2);
    const before = await runOrt(model, x);
    const W1 = transpose(w1, IN, HID);
    const plain = forward(x, W1, b1, transpose(w2, HID, OUT), new Float32Array(OUT));
    for (let i = 0; i < OUT; i++) expect(before[i]).toBeCloseTo(plain[i]!, 5);
    const adapter = await readLoraAdapter(folder);
    const report = mergeLoraIntoModel(model, adapter);
    const s = 3 / Math.sqrt(2); // rsLoRA
    expect(report.merged).toEqual([
      expect.objectContaining({ module: 'enc.dense', layout: 'in-out', r: 2, scaling: s }),
    ]);
    expect(report.replaced.map((r) => [r.parameter, r.added])).toEqual([
      ['head.bias', true],
      ['head.weight', false],
    ]);
    const W1m = W1.slice();
    for (let o = 0; o < HID; o++)
      for (let i = 0; i < IN; i++)
        for (let k = 0; k < 2; k++) W1m[o * IN + i]! += s * B[o * 2 + k]! * A[k * IN + i]!;
    const expected = forward(x, W1m, b1, headW, headB);
    const got = await runOrt(model, x);
    for (let i = 0; i < OUT; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
    // Only weights changed: the node count grows by the one bias Add the export had dropped.
    expect(model.graph!.node.map((n) => n.op_type)).toEqual(['MatMul', 'Add', 'Tanh', 'MatMul', 'Add']);
    expect(Array.from(readLinear(model, 'head').bias)).toEqual(Array.from(headB));
  });

  it('finds a PyTorch-named [out, in] weight used through Transpose + MatMul, and a Gemm weight with transB', async () => {
    const W1 = rand(HID * IN, 9); // [out, in]
    const W2 = rand(OUT * HID, 10); // [out, in]
    const model = mlpModel(
      [
        makeNode('Transpose', ['enc.dense.weight'], ['wt'], { attributes: { perm: [1, 0] } }),
        makeNode('MatMul', ['x', 'wt'], ['h0']),
        makeNode('Add', ['h0', 'enc.dense.bias'], ['h1']),
        makeNode('Tanh', ['h1'], ['h2']),
        makeNode('Gemm', ['h2', 'head.weight', 'head.bias'], ['y'], { attributes: { transB: 1 } }),
      ],
      [
        float32Tensor('enc.dense.weight', [HID, IN], W1),
        float32Tensor('enc.dense.bias', [HID], b1),
        float32Tensor('head.weight', [OUT, HID], W2),
        float32Tensor('head.bias', [OUT], new Float32Array(OUT)),
      ],
    );
    const folder = await writeAdapter(
      'named',
      { r: 2, lora_alpha: 4, target_modules: 'enc\\.(dense|head)' },
      {
        'base_model.model.enc.dense.lora_A.weight': { shape: [2, IN], data: A },
        'base_model.model.enc.dense.lora_B.weight': { shape: [HID, 2], data: B },
      },
    );
    const report = mergeLoraIntoModel(model, await readLoraAdapter(folder));
    expect(report.merged).toEqual([
      expect.objectContaining({ module: 'enc.dense', layout: 'out-in', initializer: 'enc.dense.weight' }),
    ]);
    const W1m = W1.slice();
    for (let o = 0; o < HID; o++)
      for (let i = 0; i < IN; i++)
        for (let k = 0; k < 2; k++) W1m[o * IN + i]! += 2 * B[o * 2 + k]! * A[k * IN + i]!;
    const expected = forward(x, W1m, b1, W2, new Float32Array(OUT));
    const got = await runOrt(model, x);
    for (let i = 0; i < OUT; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
    expect(readLinear(model, 'head').weight).toEqual(W2);
  });

  it('reads fp16 and bf16 adapters and honours rank_pattern and alpha_pattern', async () => {
    const half = (d: Float32Array, bf: boolean) => {
      const u = new Uint16Array(d.length);
      for (let i = 0; i < d.length; i++)
        u[i] = bf ? float32ToBfloat16Bits(d[i]!) : float32ToFloat16Bits(d[i]!);
      return new Uint8Array(u.buffer);
    };
    for (const [dtype, bf] of [
      ['F16', false],
      ['BF16', true],
    ] as const) {
      const a = half(A, bf);
      const b = half(B, bf);
      const header = JSON.stringify({
        'base_model.model.enc.dense.lora_A.weight': { dtype, shape: [2, IN], data_offsets: [0, a.length] },
        'base_model.model.enc.dense.lora_B.weight': {
          dtype,
          shape: [HID, 2],
          data_offsets: [a.length, a.length + b.length],
        },
      });
      const bytes = new Uint8Array(8 + header.length + a.length + b.length);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
      bytes.set(new TextEncoder().encode(header), 8);
      bytes.set(a, 8 + header.length);
      bytes.set(b, 8 + header.length + a.length);
      const parsed = parseSafetensors(bytes);
      const got = parsed.tensors.get('base_model.model.enc.dense.lora_A.weight')!;
      expect(got.dtype).toBe(dtype);
      for (let i = 0; i < A.length; i++) expect(got.data[i]).toBeCloseTo(A[i]!, bf ? 2 : 3);
    }
    const cfg = parseAdapterConfig({
      peft_type: 'LORA',
      r: 8,
      lora_alpha: 16,
      target_modules: ['dense'],
      rank_pattern: { 'enc.dense': 2 },
      alpha_pattern: { dense: 6 },
    });
    expect(loraScaling(cfg, 'enc.dense')).toBe(3);
    expect(loraScaling(cfg, 'other.proj')).toBe(2);
  });

  it('refuses malformed safetensors files with a reason', () => {
    const good = encodeSafetensors({ w: { shape: [2], data: [1, 2] } });
    expect((8 + Number(new DataView(good.buffer).getBigUint64(0, true))) % 8).toBe(0);
    expect(Array.from(parseSafetensors(good).tensors.get('w')!.data)).toEqual([1, 2]);
    expect(() => parseSafetensors(good.subarray(0, 5))).toThrow(/shorter than its 8-byte header/);
    expect(() => parseSafetensors(good.subarray(0, good.length - 4))).toThrow(
      /data offsets outside the file/,
    );
    const bad = good.slice();
    new DataView(bad.buffer).setBigUint64(0, 10n ** 9n, true);
    expect(() => parseSafetensors(bad)).toThrow(/header length/);
    const header = JSON.stringify({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } });
    const ints = new Uint8Array(8 + header.length + 8);
    new DataView(ints.buffer).setBigUint64(0, BigInt(header.length), true);
    ints.set(new TextEncoder().encode(header), 8);
    expect(() => parseSafetensors(ints)).toThrow(/only floating-point tensors/);
  });

  it('refuses what it cannot merge faithfully, naming the module or option', async () => {
    const lora = {
      'base_model.model.enc.dense.lora_A.weight': { shape: [2, IN], data: A },
      'base_model.model.enc.dense.lora_B.weight': { shape: [HID, 2], data: B },
    };
    const base = { r: 2, lora_alpha: 2, target_modules: ['dense'] };
    const cases: [
      string,
      Record<string, unknown>,
      Record<string, { shape: number[]; data: Float32Array }>,
      RegExp,
      string,
    ][] = [
      ['dora', { ...base, use_dora: true }, lora, /DoRA/, 'ADAPTER_UNSUPPORTED'],
      ['ia3', { ...base, peft_type: 'IA3' }, lora, /only LoRA adapters/, 'ADAPTER_UNSUPPORTED'],
      [
        'rank',
        { ...base, r: 4 },
        lora,
        /"enc\.dense" has rank 2 but the config gives it rank 4/,
        'ADAPTER_INVALID',
      ],
      [
        'untargeted',
        { ...base, target_modules: ['proj'] },
        lora,
        /"enc\.dense", which the config's target_modules do not name/,
        'ADAPTER_INVALID',
      ],
      [
        'shape',
        base,
        {
          'base_model.model.enc.dense.lora_A.weight': { shape: [2, 5], data: rand(10, 1) },
          'base_model.model.enc.dense.lora_B.weight': { shape: [HID, 2], data: B },
        },
        /Module "enc\.dense" is 3x4 \(out x in\) in the base model but the adapter's LoRA weights are for 3x5/,
        'ADAPTER_MISMATCH',
      ],
      [
        'extra-target',
        { ...base, target_modules: ['dense', 'key'] },
        lora,
        /entry "key" matches no module/,
        'ADAPTER_MISMATCH',
      ],
      [
        'missing-module',
        { ...base, target_modules: ['dense', 'query'] },
        {
          ...lora,
          'base_model.model.enc.query.lora_A.weight': { shape: [2, IN], data: A },
          'base_model.model.enc.query.lora_B.weight': { shape: [HID, 2], data: B },
        },
        /changes module "enc\.query", which the base model does not have/,
        'ADAPTER_MISMATCH',
      ],
      [
        'saved-shape',
        { ...base, modules_to_save: ['head'] },
        { ...lora, 'base_model.model.head.weight': { shape: [3, HID], data: rand(9, 1) } },
        /replaces head\.weight with shape \[3, 3\] but the base model's is \[2, 3\]/,
        'ADAPTER_MISMATCH',
      ],
    ];
    for (const [name, config, tensors, message, code] of cases) {
      const err = await (async () => {
        const folder = await writeAdapter(`bad-${name}`, config, tensors);
        mergeLoraIntoModel(hubStyleModel(w1, b1, w2), await readLoraAdapter(folder));
      })().catch((e: unknown) => e);
      expect(AdapterError.isInstance(err), name).toBe(true);
      expect((err as AdapterError).message, name).toMatch(message);
      expect((err as AdapterError).code, name).toBe(code);
    }
  });
});

describeWithShared('merging the PEFT fixture adapter (tiny-bert-cls-lora)', () => {
  type Golden = {
    texts: string[];
    input_ids: number[][];
    base_logits: number[][];
    peft_logits: number[][];
    merged_logits: number[][];
  };
  let golden: Golden;
  beforeAll(async () => {
    golden = (JSON.parse(await readFile(resolve(HF_TINY, 'goldens.json'), 'utf8')) as Record<string, Golden>)[
      'tiny-bert-cls-lora'
    ]!;
  });

  async function logitsOf(folder: string): Promise<number[][]> {
    const T = await loadTransformers();
    const h = await acquireModel('sequence-classification', { model: folder, defaultModel: folder });
    try {
      const enc = h.tokenizer(golden.texts, { padding: true }) as unknown as {
        input_ids: { tolist(): number[][] };
      };
      expect(enc.input_ids.tolist().map((r) => r.map(Number))).toEqual(golden.input_ids);
      const ids = golden.input_ids;
      const [n, len] = [ids.length, ids[0]!.length];
      const flat = ids.flat();
      const out = (await h.model({
        input_ids: new T.Tensor('int64', BigInt64Array.from(flat.map(BigInt)), [n, len]),
        attention_mask: new T.Tensor('int64', BigInt64Array.from(flat.map((v) => (v === 0 ? 0n : 1n))), [
          n,
          len,
        ]),
        token_type_ids: new T.Tensor('int64', new BigInt64Array(n * len), [n, len]),
      })) as { logits: { data: Float32Array } };
      const d = Array.from(out.logits.data);
      return ids.map((_, i) => d.slice(i * 2, i * 2 + 2));
    } finally {
      await h.release();
    }
  }

  /** Merges the tiny-bert-cls-lora fixture adapter into an hf-tiny fixture base. */
  const mergeTinyAdapter = (base: string, options: Omit<MergeLoraOptions, 'base' | 'adapter'>) =>
    mergeLoraAdapter({
      base: resolve(HF_TINY, base),
      adapter: resolve(HF_TINY, 'tiny-bert-cls-lora'),
      ...options,
    });

  it("merged in TypeScript, it gives PEFT's logits (peft_logits and merged_logits) to 1e-4 through transformers.js", async () => {
    const out = join(dir, 'tiny-merged');
    const report = await mergeTinyAdapter('tiny-bert-cls', { out });
    expect(report.merged.map((m) => m.module)).toEqual([
      'bert.encoder.layer.0.attention.self.query',
      'bert.encoder.layer.0.attention.self.value',
      'bert.encoder.layer.1.attention.self.query',
      'bert.encoder.layer.1.attention.self.value',
    ]);
    expect(report.merged.every((m) => m.scaling === 4 && m.maxAbsDelta > 0.1)).toBe(true);
    expect(report.replaced.map((r) => r.parameter)).toEqual(['classifier.bias', 'classifier.weight']);
    const logits = await logitsOf(out);
    for (const key of ['peft_logits', 'merged_logits'] as const) {
      const want = golden[key];
      for (let i = 0; i < want.length; i++)
        for (let j = 0; j < 2; j++) expect(Math.abs(logits[i]![j]! - want[i]![j]!)).toBeLessThan(1e-4);
    }
    // The base alone is far from them, so the check above can fail.
    const base = await logitsOf(resolve(HF_TINY, 'tiny-bert-cls'));
    expect(Math.abs(base[0]![0]! - golden.peft_logits[0]![0]!)).toBeGreaterThan(0.1);
    // Same graph as the base: same nodes and operators, only weights (and the classifier bias the export dropped).
    const [a, b] = await Promise.all([
      loadOnnxModel(resolve(HF_TINY, 'tiny-bert-cls/onnx/model.onnx')),
      loadOnnxModel(join(out, 'onnx/model.onnx')),
    ]);
    expect(b.graph!.node.map((n) => n.op_type)).toEqual(a.graph!.node.map((n) => n.op_type));
    expect(b.graph!.initializer.length).toBe(a.graph!.initializer.length + 1);
    await expect(mergeTinyAdapter('tiny-bert-cls', { out })).rejects.toThrow(/already exists/);
  });

  it('refuses the adapter on a base with another label set, naming the classifier, and writes nothing', async () => {
    const out = join(dir, 'nli-merged');
    const err = await mergeTinyAdapter('tiny-bert-nli', { out }).catch((e: unknown) => e);
    expect(AdapterError.isInstance(err)).toBe(true);
    expect((err as AdapterError).module).toBe('classifier');
    await expect(readFile(join(out, 'onnx/model.onnx'))).rejects.toThrow();
  });

  it('refuses the adapter on a base with other module names (tiny-bert, a BertModel), naming a module', async () => {
    const err = await mergeTinyAdapter('tiny-bert', {
      out: join(dir, 'x'),
      cacheDir: join(dir, 'cache'),
    }).catch((e: unknown) => e);
    expect(AdapterError.isInstance(err)).toBe(true);
    expect((err as AdapterError).code).toBe('ADAPTER_MISMATCH');
    expect((err as AdapterError).module).toMatch(/attention\.self\.(query|value)$/);
  });

  it('reads the fixture adapter: r=8, alpha=32, query+value of both layers, classifier saved', async () => {
    const a = await readLoraAdapter(resolve(HF_TINY, 'tiny-bert-cls-lora'));
    expect(a.config.r).toBe(8);
    expect(
      a.updates.map((u) => [u.module.split('.').slice(-1)[0], u.r, u.inFeatures, u.outFeatures, u.scaling]),
    ).toEqual([
      ['query', 8, 32, 32, 4],
      ['value', 8, 32, 32, 4],
      ['query', 8, 32, 32, 4],
      ['value', 8, 32, 32, 4],
    ]);
    expect(a.parameters.map((p) => `${p.module}.${p.param}:${p.shape.join('x')}`)).toEqual([
      'classifier.bias:2',
      'classifier.weight:2x32',
    ]);
    // Written back by our safetensors writer, it reads the same.
    const again = parseSafetensors(
      encodeSafetensors(
        Object.fromEntries(
          a.parameters.map((p) => [`${p.module}.${p.param}`, { shape: p.shape, data: p.data }]),
        ),
      ),
    );
    expect(Array.from(again.tensors.get('classifier.weight')!.data)).toEqual(
      Array.from(a.parameters[1]!.data),
    );
  });
});
