import { optionalChoice } from '../core/detector-kit.js';
import { AdapterError } from '../errors/adapter-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { makeNode, makeValueInfo } from '../onnx/onnx-build.js';
import { getIntAttribute, NameAllocator, nodeModuleScope } from '../onnx/onnx-graph.js';
import { findInitializer } from '../onnx/onnx-model.js';
import { float32Tensor } from '../onnx/onnx-tensor.js';
import { type GraphProto, type ModelProto, type NodeProto, TensorDataType } from '../onnx/onnx-types.js';
import type { LoraAdapter, LoraModuleUpdate } from '../peft/adapter/read-adapter.js';
import { mergeLoraIntoModel, type ReplacedParameter } from '../peft/merge.js';
import { findLinearSites } from './linear-sites.js';
import { LINEAR_INPUT_KEY, LINEAR_OUTPUT_KEY } from './quantized-nodes.js';

/** Options for `addLoraSideBranches`. */
export interface LoraSideBranchOptions {
  /**
   * Prefix of the names given to the branch tensors (`<prefix>.<module>.lora_A`), so that the branches of
   * different adapters never collide.
   * @defaultValue 'lora'
   */
  prefix?: string;
  /**
   * Where the LoRA factors live: `initializers` stores them in the model (one adapter per file); `inputs` makes
   * them graph inputs (`<prefix>.<module>.lora_A` `[in, r]`, `.lora_B` `[r, out]`, `.scale` `[]`), so one
   * ONNX Runtime session over the quantized base serves any adapter of the same targets, switched per call by
   * feeding its tensors (see `feeds` in the report).
   * @defaultValue 'initializers'
   */
  weightsAs?: 'initializers' | 'inputs';
}

/** One side branch added. */
export interface LoraBranchInfo {
  /** The module, e.g. `bert.encoder.layer.0.attention.self.query`. */
  module: string;
  /** The rank. */
  r: number;
  /** The factor s in y = Wx + s B A x. */
  scaling: number;
  /** The operator of the base layer the branch sits beside (e.g. `MatMulInteger`, `MatMulNBits`, `MatMul`). */
  baseOp: string;
}

/** A tensor to feed for one adapter when its factors are graph inputs. */
export interface LoraFeed {
  /** Row-major values. */
  data: Float32Array;
  /** Shape. */
  dims: number[];
}

/** What `addLoraSideBranches` did. */
export interface LoraSideBranchReport {
  /** The branches added, one per adapted module. */
  branches: LoraBranchInfo[];
  /** Parameters the adapter replaced in full (`modules_to_save` such as the classifier, trained biases). */
  replaced: ReplacedParameter[];
  /**
   * With `weightsAs: 'inputs'`: this adapter's factors by input name (feed them with the model's inputs).
   * @internal
   */
  feeds: Record<string, LoraFeed>;
}

/** Where a linear layer reads its float input and writes its float output. */
interface LinearEnds {
  input: string;
  output: string;
  K: number;
  N: number;
  op: string;
}

const QUANT_OPS = new Set(['MatMulInteger', 'DynamicQuantizeMatMul', 'MatMulNBits', 'MatMulIntegerToFloat']);

/** The linear layers of a graph by module: botlens-quantized ones (from node metadata) and float ones. */
function linearEnds(graph: GraphProto): Map<string, LinearEnds[]> {
  const map = new Map<string, LinearEnds[]>();
  const add = (m: string | undefined, e: LinearEnds) => {
    if (!m) return;
    map.set(m, [...(map.get(m) ?? []), e]);
  };
  for (const n of graph.node) {
    if (!QUANT_OPS.has(n.op_type ?? '')) continue;
    const input = n.metadata_props.find((e) => e.key === LINEAR_INPUT_KEY)?.value;
    const output = n.metadata_props.find((e) => e.key === LINEAR_OUTPUT_KEY)?.value;
    if (!input || !output) continue;
    let K = 0;
    let N = 0;
    if (n.op_type === 'MatMulNBits') {
      K = getIntAttribute(n, 'K', 0);
      N = getIntAttribute(n, 'N', 0);
    } else {
      const w = findInitializer(graph, n.input[1] ?? '');
      [K = 0, N = 0] = w?.dims ?? [];
    }
    add(nodeModuleScope(n), { input, output, K, N, op: n.op_type ?? '' });
  }
  for (const s of findLinearSites(graph, { foldBias: true }).sites) {
    add(s.module, { input: s.input, output: s.output, K: s.K, N: s.N, op: s.op });
  }
  return map;
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

/**
 * Adds a PEFT LoRA adapter to a (quantized or float) model as unmerged side branches kept in float32:
 * for each adapted Linear, y = W x + s · B (A x), with `W x` computed by whatever the base uses (int8
 * `MatMulInteger`, 4-bit `MatMulNBits`, float `MatMul`) and the branch by two small float `MatMul`s, a `Mul` by
 * the scaling and an `Add`. The base weights are not touched, so one quantized base can carry any adapter
 * ("int4 + LoRA"); with `weightsAs: 'inputs'` a single session serves several adapters. Parameters the adapter
 * stores in full (`modules_to_save`, e.g. the classifier) replace the base's, which therefore must be float32
 * (quantization keeps output heads float32 by default).
 *
 * @param model - the base model (e.g. `onnx/model_q4.onnx` from {@link quantize}), edited in place
 * @param adapter - from `readLoraAdapter`
 * @param options - tensor name prefix, initializers or inputs
 * @returns the branches added, the parameters replaced and, for `inputs`, the tensors to feed
 * @throws AdapterError when a module is missing or its shapes differ, or a parameter to replace is quantized
 *
 * @example
 * ```ts
 * const model = await loadOnnxModel('tiny-bert-cls/onnx/model_q4.onnx');
 * addLoraSideBranches(model, await readLoraAdapter('tiny-bert-cls-lora'));
 * await saveOnnxModel(model, 'tiny-bert-cls-bot/onnx/model_q4.onnx');
 * ```
 */
export function addLoraSideBranches(
  model: ModelProto,
  adapter: LoraAdapter,
  options: LoraSideBranchOptions = {},
): LoraSideBranchReport {
  const graph = model.graph;
  if (!graph) throw new InvalidOptionsError('model', 'the model has no graph');
  const prefix = options.prefix ?? 'lora';
  const asInputs = optionalChoice('weightsAs', options.weightsAs, ['initializers', 'inputs']) === 'inputs';
  const ends = linearEnds(graph);
  // Check every module before changing anything: an adapter is applied whole or not at all.
  const plan = adapter.updates.map((u) => {
    const found = ends.get(u.module) ?? [];
    if (found.length === 0) {
      throw new AdapterError(
        'ADAPTER_MISMATCH',
        `The adapter ${adapter.folder} adapts module "${u.module}", which the base model does not have (or not as a linear layer).`,
        { module: u.module },
      );
    }
    if (found.length > 1) {
      throw new AdapterError(
        'ADAPTER_MISMATCH',
        `Module "${u.module}" maps to ${found.length} linear layers in the graph; cannot tell which to adapt.`,
        {
          module: u.module,
        },
      );
    }
    const e = found[0]!;
    if (e.K !== u.inFeatures || e.N !== u.outFeatures) {
      throw new AdapterError(
        'ADAPTER_MISMATCH',
        `Module "${u.module}" is ${e.N}x${e.K} (out x in) in the base model but the adapter's factors are for ${u.outFeatures}x${u.inFeatures}.`,
        { module: u.module },
      );
    }
    return { u, e };
  });

  let replaced: ReplacedParameter[] = [];
  if (adapter.parameters.length > 0) {
    // Reuse the PEFT merge for full parameters only: no LoRA targets, no updates.
    try {
      replaced = mergeLoraIntoModel(model, {
        ...adapter,
        config: { ...adapter.config, target_modules: null },
        updates: [],
      }).replaced;
    } catch (err) {
      if (AdapterError.isInstance(err) && err.code === 'ADAPTER_UNSUPPORTED') {
        throw new AdapterError(
          'ADAPTER_UNSUPPORTED',
          `The adapter replaces "${err.module}" in full, but the base model holds it quantized: quantize with that layer kept in float32 (the default for output heads, or exclude it), then add the adapter.`,
          { module: err.module ?? '', cause: err },
        );
      }
      throw err;
    }
  }

  const names = new NameAllocator(graph);
  const report: LoraSideBranchReport = { branches: [], replaced, feeds: {} };
  for (const { u, e } of plan) {
    addBranch(graph, u, e, { prefix, asInputs, names, feeds: report.feeds });
    report.branches.push({ module: u.module, r: u.r, scaling: u.scaling, baseOp: e.op });
  }
  return report;
}

function addBranch(
  graph: GraphProto,
  u: LoraModuleUpdate,
  e: LinearEnds,
  ctx: { prefix: string; asInputs: boolean; names: NameAllocator; feeds: Record<string, LoraFeed> },
): void {
  const { names } = ctx;
  const base = `${ctx.prefix}.${u.module}`;
  const aName = names.take(`${base}.lora_A`);
  const bName = names.take(`${base}.lora_B`);
  const sName = names.take(`${base}.scale`);
  const aT = transpose(u.A, u.r, u.inFeatures); // [in, r]
  const bT = transpose(u.B, u.outFeatures, u.r); // [r, out]
  const scale = new Float32Array([u.scaling]);
  if (ctx.asInputs) {
    const rank = `${base}.rank`;
    graph.input.push(
      makeValueInfo(aName, TensorDataType.FLOAT, [u.inFeatures, rank]),
      makeValueInfo(bName, TensorDataType.FLOAT, [rank, u.outFeatures]),
      makeValueInfo(sName, TensorDataType.FLOAT, []),
    );
    ctx.feeds[aName] = { data: aT, dims: [u.inFeatures, u.r] };
    ctx.feeds[bName] = { data: bT, dims: [u.r, u.outFeatures] };
    ctx.feeds[sName] = { data: scale, dims: [] };
  } else {
    graph.initializer.push(
      float32Tensor(aName, [u.inFeatures, u.r], aT),
      float32Tensor(bName, [u.r, u.outFeatures], bT),
      float32Tensor(sName, [], scale),
    );
  }
  const producerIndex = graph.node.findIndex((n) => n.output.includes(e.output));
  const producer = graph.node[producerIndex];
  if (!producer) {
    throw new AdapterError(
      'ADAPTER_MISMATCH',
      `No node produces "${e.output}", the output of module "${u.module}".`,
      { module: u.module },
    );
  }
  const baseOut = names.take(`${e.output}_base`);
  producer.output = producer.output.map((o) => (o === e.output ? baseOut : o));
  const down = names.take(`${base}.lora_down`);
  const up = names.take(`${base}.lora_up`);
  const scaled = names.take(`${base}.lora_scaled`);
  const nodes: NodeProto[] = [
    makeNode('MatMul', [e.input, aName], [down], { name: names.take(`${base}/lora_A/MatMul`) }),
    makeNode('MatMul', [down, bName], [up], { name: names.take(`${base}/lora_B/MatMul`) }),
    makeNode('Mul', [up, sName], [scaled], { name: names.take(`${base}/lora_scale/Mul`) }),
    makeNode('Add', [baseOut, scaled], [e.output], { name: names.take(`${base}/lora/Add`) }),
  ];
  graph.node.splice(producerIndex + 1, 0, ...nodes);
}
