import { join, resolve } from 'node:path';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { AdapterError } from '../errors/adapter-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { assertOutputSeparate } from '../fs/safe-paths.js';
import { copyModelMetadata, pathExists } from '../onnx/model-folder.js';
import { makeNode } from '../onnx/onnx-build.js';
import { consumersOf, graphModulePaths, setNodeInitializer, uniqueValueName } from '../onnx/onnx-graph.js';
import { findInitializer, loadOnnxModel, saveOnnxModel } from '../onnx/onnx-model.js';
import {
  findLayerNormSite,
  findLinearSite,
  type LinearSite,
  linearBias,
  linearWeightOutIn,
} from '../onnx/onnx-sites.js';
import { tensorFromFloat32 } from '../onnx/onnx-tensor.js';
import {
  type GraphProto,
  type ModelProto,
  type NodeProto,
  TensorDataType,
  type TensorProto,
} from '../onnx/onnx-types.js';
import { isLoraTarget, targetEntryMatches } from './adapter/adapter-config.js';
import {
  type FullParameter,
  type LoraAdapter,
  type LoraModuleUpdate,
  readLoraAdapter,
} from './adapter/read-adapter.js';
import { classifierBaseFolder, DEFAULT_HEAD_LABELS, hasClassifier } from './training/classification-head.js';

/** One LoRA update folded into a weight. */
export interface MergedModule {
  /** The module, e.g. `bert.encoder.layer.0.attention.self.query`. */
  module: string;
  /** The ONNX initializer written. */
  initializer: string;
  /** How the initializer is oriented in the graph. */
  layout: 'out-in' | 'in-out';
  /** The rank. */
  r: number;
  /** The scaling applied to B @ A. */
  scaling: number;
  /** Largest absolute change made to a weight entry. */
  maxAbsDelta: number;
}

/** One parameter replaced in full (from `modules_to_save` or a trained bias). */
export interface ReplacedParameter {
  /** PyTorch name, e.g. `classifier.bias`. */
  parameter: string;
  /** The ONNX initializer written. */
  initializer: string;
  /** True when the base graph had no such initializer (an all-zero bias the exporter dropped) and it was added. */
  added: boolean;
}

/** What a merge changed: {@link MergeResult} without the folder. */
export type MergeReport = Omit<MergeResult, 'out'>;

/** Where the base weight initializer's users get the new tensor: in place when only they use it, else a copy. */
function writeTensor(
  graph: GraphProto,
  old: TensorProto | undefined,
  fresh: TensorProto,
  uses: { node: NodeProto; index: number }[],
): string {
  const oldName = old?.name;
  if (old && oldName) {
    const users = consumersOf(graph, oldName);
    const useSet = new Set(uses.map((u) => u.node));
    const onlyOurs =
      users.every((n) => useSet.has(n)) &&
      uses.every((u) => u.node.input.filter((x) => x === oldName).length === 1) &&
      !graph.output.some((o) => o.name === oldName);
    if (onlyOurs) {
      const i = graph.initializer.indexOf(old);
      graph.initializer[i] = { ...fresh, name: oldName };
      return oldName;
    }
  }
  const name = uniqueValueName(graph, fresh.name ?? 'merged_weight');
  graph.initializer.push({ ...fresh, name });
  for (const u of uses) u.node.input[u.index] = name;
  return name;
}

function weightTensor(site: LinearSite, outIn: Float32Array): TensorProto {
  const { inFeatures: I, outFeatures: O } = site;
  let data = outIn;
  if (site.layout === 'in-out') {
    data = new Float32Array(I * O);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) data[i * O + o] = outIn[o * I + i]!;
  }
  return tensorFromFloat32(
    `${site.module}.weight`,
    site.weight.dims,
    data,
    site.weight.data_type ?? TensorDataType.FLOAT,
  );
}

function setLinearWeight(graph: GraphProto, site: LinearSite, outIn: Float32Array): string {
  return writeTensor(graph, site.weight, weightTensor(site, outIn), site.weightUses);
}

function setLinearBias(
  graph: GraphProto,
  site: LinearSite,
  bias: Float32Array,
): { name: string; added: boolean } {
  const dtype = site.weight.data_type ?? TensorDataType.FLOAT;
  const fresh = tensorFromFloat32(`${site.module}.bias`, [site.outFeatures], bias, dtype);
  if (site.bias?.tensor) {
    return {
      name: writeTensor(graph, site.bias.tensor, fresh, [{ node: site.bias.node, index: site.bias.index }]),
      added: false,
    };
  }
  if (site.node.op_type === 'Gemm') {
    if (site.node.input.length > 2 && site.node.input[2] !== '') {
      throw new AdapterError(
        'ADAPTER_MISMATCH',
        `Module "${site.module}": its Gemm bias is computed, not stored; cannot replace it.`,
        {
          module: site.module,
        },
      );
    }
    return { name: setNodeInitializer(graph, site.node, 2, fresh), added: true };
  }
  // A MatMul whose all-zero bias the exporter removed: add the bias back right after it.
  const out = site.node.output[0]!;
  const inner = uniqueValueName(graph, `${out}_before_bias`);
  const name = uniqueValueName(graph, fresh.name!);
  site.node.output[0] = inner;
  graph.initializer.push({ ...fresh, name });
  const add = makeNode('Add', [inner, name], [out], {
    name: uniqueValueName(graph, `${site.node.name ?? out}_bias`),
  });
  graph.node.splice(graph.node.indexOf(site.node) + 1, 0, add);
  return { name, added: true };
}

function mismatch(module: string, message: string): AdapterError {
  return new AdapterError('ADAPTER_MISMATCH', message, { module });
}

function missingModule(module: string, adapter: LoraAdapter): AdapterError {
  const trained = adapter.config.base_model_name_or_path
    ? ` (it records base model "${adapter.config.base_model_name_or_path}")`
    : '';
  return mismatch(
    module,
    `The adapter ${adapter.folder} changes module "${module}", which the base model does not have: was the adapter trained on another base model${trained}?`,
  );
}

function applyUpdate(graph: GraphProto, u: LoraModuleUpdate, adapter: LoraAdapter): MergedModule {
  const site = findLinearSite(graph, u.module);
  if (!site) throw missingModule(u.module, adapter);
  if (site.inFeatures !== u.inFeatures || site.outFeatures !== u.outFeatures) {
    throw mismatch(
      u.module,
      `Module "${u.module}" is ${site.outFeatures}x${site.inFeatures} (out x in) in the base model but the adapter's LoRA weights are for ${u.outFeatures}x${u.inFeatures}: the adapter was made for another base model.`,
    );
  }
  const W = linearWeightOutIn(site);
  const { inFeatures: I, outFeatures: O, r } = u;
  let maxAbs = 0;
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += u.B[o * r + k]! * u.A[k * I + i]!;
      const d = u.scaling * s;
      W[o * I + i]! += d;
      if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
    }
  }
  const initializer = setLinearWeight(graph, site, W);
  return { module: u.module, initializer, layout: site.layout, r, scaling: u.scaling, maxAbsDelta: maxAbs };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function applyParameter(graph: GraphProto, p: FullParameter, adapter: LoraAdapter): ReplacedParameter {
  const parameter = `${p.module}.${p.param}`;
  const site = p.param === 'weight' || p.param === 'bias' ? findLinearSite(graph, p.module) : undefined;
  if (site) {
    if (p.param === 'weight') {
      if (!sameShape(p.shape, [site.outFeatures, site.inFeatures])) {
        throw mismatch(
          p.module,
          `The adapter replaces ${parameter} with shape [${p.shape.join(', ')}] but the base model's is [${site.outFeatures}, ${site.inFeatures}] (out, in): the adapter was made for another base model or label set.`,
        );
      }
      return { parameter, initializer: setLinearWeight(graph, site, p.data), added: false };
    }
    if (!sameShape(p.shape, [site.outFeatures])) {
      throw mismatch(
        p.module,
        `The adapter replaces ${parameter} with shape [${p.shape.join(', ')}] but the base model's is [${site.outFeatures}].`,
      );
    }
    const { name, added } = setLinearBias(graph, site, p.data);
    return { parameter, initializer: name, added };
  }
  const ln = findLayerNormSite(graph, p.module);
  if (ln && (p.param === 'weight' || p.param === 'bias')) {
    const index = p.param === 'weight' ? 1 : 2;
    const old = findInitializer(graph, ln.node.input[index] ?? '');
    if (!old || !sameShape(old.dims, p.shape)) {
      throw mismatch(
        p.module,
        `The adapter replaces ${parameter} with shape [${p.shape.join(', ')}], which does not fit the base model's LayerNorm.`,
      );
    }
    const fresh = tensorFromFloat32(parameter, old.dims, p.data, old.data_type ?? TensorDataType.FLOAT);
    return {
      parameter,
      initializer: writeTensor(graph, old, fresh, [{ node: ln.node, index }]),
      added: false,
    };
  }
  const named = findInitializer(graph, parameter);
  if (named) {
    if (!sameShape(named.dims, p.shape)) {
      throw mismatch(
        p.module,
        `The adapter replaces ${parameter} with shape [${p.shape.join(', ')}] but the base model's is [${named.dims.join(', ')}].`,
      );
    }
    const fresh = tensorFromFloat32(parameter, named.dims, p.data, named.data_type ?? TensorDataType.FLOAT);
    const uses = consumersOf(graph, parameter).flatMap((node) =>
      node.input.flatMap((x, index) => (x === parameter ? [{ node, index }] : [])),
    );
    return { parameter, initializer: writeTensor(graph, named, fresh, uses), added: false };
  }
  throw missingModule(p.module, adapter);
}

/** Checks the adapter against the whole base graph before anything is changed. */
function checkTargets(graph: GraphProto, adapter: LoraAdapter): void {
  const cfg = adapter.config;
  const adapted = new Set(adapter.updates.map((u) => u.module));
  if (Array.isArray(cfg.target_modules)) {
    for (const t of cfg.target_modules) {
      if (t === 'all-linear') continue;
      if (![...adapted].some((m) => targetEntryMatches(t, m))) {
        throw mismatch(
          t,
          `The adapter's target_modules entry "${t}" matches no module with LoRA weights in ${adapter.folder}.`,
        );
      }
    }
  }
  // Every Linear module of the base that the config targets must have weights in the adapter; a base with more
  // layers than the adapter's (another model) would otherwise be merged only in part.
  for (const m of graphModulePaths(graph)) {
    if (adapted.has(m) || !isLoraTarget(cfg, m)) continue;
    if (findLinearSite(graph, m)) {
      throw mismatch(
        m,
        `The base model has module "${m}", which the adapter's config targets, but ${adapter.folder} holds no LoRA weights for it: the adapter was made for another base model.`,
      );
    }
  }
  for (const u of adapter.updates)
    if (!findLinearSite(graph, u.module)) throw missingModule(u.module, adapter);
}

/**
 * Merges a LoRA adapter into an ONNX model in memory: W' = W + scaling * B @ A for each adapted Linear, and
 * the adapter's full parameters (`modules_to_save`, trained biases) replace the base's. Only weights change;
 * the graph keeps its nodes (except that a bias the exporter dropped because it was zero is put back), so the
 * merged model costs exactly what the base costs.
 *
 * Weights are found by PyTorch name (`<module>.weight`, [out, in]) or through the MatMul/Gemm node exported from
 * the module (`onnx::MatMul_NNN`, [in, out]). An initializer the exporter shared between modules (equal
 * tensors deduplicated) is copied before it is changed, so the other modules keep their values.
 *
 * @param model - the decoded base model, edited in place
 * @param adapter - from {@link readLoraAdapter}
 * @throws AdapterError naming the module for an adapter that does not fit (missing module, wrong shapes,
 *   a target matching nothing); the model may then be partly edited, so discard it
 *
 * @example
 * ```ts
 * const model = await loadOnnxModel('base/onnx/model.onnx');
 * const report = mergeLoraIntoModel(model, await readLoraAdapter('adapter'));
 * ```
 */
export function mergeLoraIntoModel(model: ModelProto, adapter: LoraAdapter): MergeReport {
  const graph = model.graph;
  if (!graph) throw new ModelLoadError('<model>', 'The ONNX model has no graph.');
  checkTargets(graph, adapter);
  const merged = adapter.updates.map((u) => applyUpdate(graph, u, adapter));
  const replaced = adapter.parameters.map((p) => applyParameter(graph, p, adapter));
  return { adapters: [adapter.folder], merged, replaced, addedHead: false };
}

/** What {@link mergeLoraAdapter} returns: what the merge changed and the folder written. */
export interface MergeResult {
  /** The merged model folder (absolute). */
  out: string;
  /** The adapters merged, in order. */
  adapters: string[];
  /** Weights that received a LoRA update. */
  merged: MergedModule[];
  /** Parameters replaced in full. */
  replaced: ReplacedParameter[];
  /**
   * True when the base was a bare encoder and the adapter brought a classifier: the standard head
   * (`addClassificationHead`) was added before merging, as `trainLora` does before training.
   */
  addedHead: boolean;
}

/** Options for {@link mergeLoraAdapter}. */
export interface MergeLoraOptions {
  /** The base model folder in the transformers.js layout (`config.json`, tokenizer files, `onnx/model.onnx`). */
  base: string;
  /** The PEFT adapter folder, or several merged in order. */
  adapter: string | readonly string[];
  /** The folder to write the merged model to. */
  out: string;
  /**
   * Replace an `onnx/model.onnx` already in `out`.
   * @defaultValue false
   */
  overwrite?: boolean;
  /**
   * The botlens cache root, used when a classification head must be added to a bare encoder.
   * @defaultValue `$BOTLENS_CACHE_DIR`, else `~/.cache/botlens`
   */
  cacheDir?: string;
}

const MERGE_LORA_OPTION_KEYS: OptionKeys<MergeLoraOptions> = {
  base: true,
  adapter: true,
  out: true,
  overwrite: true,
  cacheDir: true,
};

/**
 * Merges PEFT LoRA adapters into a base model and writes the result as a model folder that
 * `@huggingface/transformers` (and every botlens detector) loads like any other: the base's `config.json` and
 * tokenizer files, and `onnx/model.onnx` with the merged weights (fp32; quantize it afterwards if needed).
 * A `botlens-merge.json` beside them records what changed.
 *
 * @param options - see {@link MergeLoraOptions}
 * @returns what changed
 * @throws AdapterError naming the module when an adapter does not fit the base; nothing is written then
 * @throws MissingDependencyError naming `npm install protobufjs` when that optional peer dependency is not installed
 *
 * @example
 * ```ts
 * const report = await mergeLoraAdapter({ base: 'models/tiny-bert-cls', adapter: 'adapters/bots', out: 'models/merged' });
 * report.merged.length; // 4 (query and value of two layers)
 * ```
 */
export async function mergeLoraAdapter(options: MergeLoraOptions): Promise<MergeResult> {
  refuseUnknownKeys(options, MERGE_LORA_OPTION_KEYS, 'the options of mergeLoraAdapter()');
  const base = resolve(options.base);
  const out = resolve(options.out);
  const adapters = (typeof options.adapter === 'string' ? [options.adapter] : [...options.adapter]).map((a) =>
    resolve(a),
  );
  if (adapters.length === 0) throw new InvalidOptionsError('adapter', 'give at least one adapter folder');
  if (out === base || adapters.includes(out)) {
    throw new InvalidOptionsError('out', `must differ from the base and adapter folders (got ${out})`);
  }
  // Real paths: a symlink to the base (or a folder inside or around an input) is the input.
  assertOutputSeparate({ option: 'out', path: out }, [
    { option: 'base', path: base },
    ...adapters.map((a) => ({ option: 'adapter', path: a })),
  ]);
  const target = join(out, 'onnx', 'model.onnx');
  if (!options.overwrite && (await pathExists(target))) {
    throw new InvalidOptionsError(
      'out',
      `${target} already exists: choose another folder or pass overwrite: true`,
    );
  }
  const read = await Promise.all(adapters.map((a) => readLoraAdapter(a)));
  let baseFolder = base;
  let addedHead = false;
  const head = read
    .flatMap((a) => a.parameters)
    .find((p) => p.module === 'classifier' && p.param === 'weight');
  let model = await loadOnnxModel(join(base, 'onnx', 'model.onnx'));
  if (head && !hasClassifier(model)) {
    // An adapter trained by botlens on a bare encoder: add the same deterministic head it was trained with.
    const C = head.shape[0]!;
    const labels = C === 2 ? DEFAULT_HEAD_LABELS : Array.from({ length: C }, (_, i) => `LABEL_${i}`);
    baseFolder = (
      await classifierBaseFolder(base, {
        labels,
        ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
      })
    ).folder;
    model = await loadOnnxModel(join(baseFolder, 'onnx', 'model.onnx'));
    addedHead = true;
  }
  const report: MergeReport = { adapters: [], merged: [], replaced: [], addedHead };
  for (const adapter of read) {
    const r = mergeLoraIntoModel(model, adapter);
    report.adapters.push(...r.adapters);
    report.merged.push(...r.merged);
    report.replaced.push(...r.replaced);
  }
  await copyModelMetadata(baseFolder, out);
  await saveOnnxModel(model, target);
  const record = {
    base,
    ...report,
    merged: report.merged.map((m) => ({ ...m, maxAbsDelta: Number(m.maxAbsDelta.toPrecision(6)) })),
  };
  await writeFileAtomic(join(out, 'botlens-merge.json'), `${JSON.stringify(record, null, 2)}\n`);
  return { out, ...report };
}

/**
 * Reads the current weight and bias of a Linear module of an ONNX model as PyTorch-oriented arrays
 * (weight [out, in]); the bias is zeros when the export dropped it.
 *
 * @param model - the decoded model
 * @param module - the module name
 * @throws AdapterError (`ADAPTER_MISMATCH`) when the model has no such Linear module
 */
export function readLinear(
  model: ModelProto,
  module: string,
): { weight: Float32Array; bias: Float32Array; inFeatures: number; outFeatures: number } {
  const site = model.graph ? findLinearSite(model.graph, module) : undefined;
  if (!site) throw mismatch(module, `The model has no Linear module "${module}".`);
  return {
    weight: linearWeightOutIn(site),
    bias: linearBias(site),
    inFeatures: site.inFeatures,
    outFeatures: site.outFeatures,
  };
}
