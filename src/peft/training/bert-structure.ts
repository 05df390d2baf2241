import { AdapterError } from '../../errors/adapter-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { graphModulePaths } from '../../onnx/onnx-graph.js';
import { findInitializer } from '../../onnx/onnx-model.js';
import {
  findLayerNormSite,
  findLinearSite,
  type LinearSite,
  linearBias,
  linearWeightOutIn,
} from '../../onnx/onnx-sites.js';
import { tensorToFloat32 } from '../../onnx/onnx-tensor.js';
import type { ModelProto } from '../../onnx/onnx-types.js';
import type { Activation, LayerNormWeights, LinearWeights, TopLayerWeights } from './top-layer-weights.js';

/** The module layout of a BERT-style sequence classifier found in an ONNX export. */
export interface BertStructure {
  /** Module prefix before `encoder.` (`bert.` for BertForSequenceClassification, `''` for a bare BertModel). */
  prefix: string;
  /** Number of encoder layers. */
  layers: number;
  /** Hidden size. */
  hidden: number;
  /** Attention heads. */
  heads: number;
  /** Feed-forward activation. */
  activation: Activation;
  /** Class labels by index, from `config.id2label` (`LABEL_<i>` when absent). */
  labels: string[];
}

/**
 * The module name of a projection of encoder layer `layer`, e.g. `bert.encoder.layer.1.attention.self.query`.
 *
 * @param s - the structure
 * @param layer - layer index
 * @param part - the submodule path after `encoder.layer.<i>.`
 */
export function layerModule(s: BertStructure, layer: number, part: string): string {
  return `${s.prefix}encoder.layer.${layer}.${part}`;
}

function activationOf(config: Record<string, unknown>): Activation {
  const a = config['hidden_act'] ?? 'gelu';
  if (a === 'gelu' || a === 'gelu_python') return 'gelu';
  if (a === 'gelu_new' || a === 'gelu_pytorch_tanh' || a === 'gelu_fast') return 'gelu_tanh';
  if (a === 'relu') return 'relu';
  throw new InvalidOptionsError(
    'model',
    `hidden_act "${String(a)}" is not supported for LoRA training (gelu, gelu_new, relu are)`,
  );
}

/**
 * The labels of a classifier config, by index.
 *
 * @param config - parsed config.json
 * @param count - the number of classifier outputs
 */
export function configLabels(config: Record<string, unknown>, count: number): string[] {
  const id2label = (config['id2label'] ?? {}) as Record<string, unknown>;
  return Array.from({ length: count }, (_, i) => {
    const l = id2label[String(i)];
    return typeof l === 'string' ? l : `LABEL_${i}`;
  });
}

/**
 * Finds the BERT layout in an exported sequence classifier: `<prefix>encoder.layer.<i>.attention.self.query`
 * and the other projections of each layer, `<prefix>pooler.dense` and `classifier`.
 *
 * @param model - the decoded ONNX model
 * @param config - its parsed config.json
 * @throws InvalidOptionsError when the graph is not a BERT-style classifier (named modules, pooler, classifier)
 */
export function describeBert(model: ModelProto, config: Record<string, unknown>): BertStructure {
  const graph = model.graph!;
  let prefix: string | undefined;
  let layers = 0;
  for (const m of graphModulePaths(graph)) {
    const hit = /^(.*?)encoder\.layer\.(\d+)\.attention\.self\.query$/.exec(m);
    if (!hit) continue;
    prefix ??= hit[1]!;
    if (hit[1] === prefix) layers = Math.max(layers, Number(hit[2]) + 1);
  }
  if (prefix === undefined || layers === 0) {
    throw new InvalidOptionsError(
      'model',
      'the ONNX graph names no BERT encoder layers (`encoder.layer.<i>.attention.self.query`): LoRA training supports BERT-style models exported with module names (dynamo metadata or /bert/encoder/... node names)',
    );
  }
  const q = findLinearSite(graph, `${prefix}encoder.layer.0.attention.self.query`)!;
  const heads = Number(config['num_attention_heads']);
  if (!Number.isInteger(heads) || heads <= 0 || q.outFeatures % heads !== 0) {
    throw new InvalidOptionsError(
      'model',
      `config.json num_attention_heads (${String(config['num_attention_heads'])}) does not divide hidden size ${q.outFeatures}`,
    );
  }
  const cls = findLinearSite(graph, 'classifier');
  if (!cls || !findLinearSite(graph, `${prefix}pooler.dense`)) {
    throw new InvalidOptionsError(
      'model',
      'the model has no pooler and classifier (BertForSequenceClassification layout): train LoRA on a sequence-classification export',
    );
  }
  return {
    prefix,
    layers,
    hidden: q.outFeatures,
    heads,
    activation: activationOf(config),
    labels: configLabels(config, cls.outFeatures),
  };
}

function linearAt(model: ModelProto, module: string): LinearWeights {
  const site: LinearSite | undefined = findLinearSite(model.graph!, module);
  if (!site)
    throw new AdapterError('ADAPTER_MISMATCH', `The model has no Linear module "${module}".`, { module });
  return {
    weight: linearWeightOutIn(site),
    bias: linearBias(site),
    inFeatures: site.inFeatures,
    outFeatures: site.outFeatures,
  };
}

function layerNormAt(model: ModelProto, module: string, fallbackEps: number): LayerNormWeights {
  const graph = model.graph!;
  const site = findLayerNormSite(graph, module);
  const gammaName = site?.node.input[1] ?? `${module}.weight`;
  const betaName = site?.node.input[2] ?? `${module}.bias`;
  const g = findInitializer(graph, gammaName);
  const b = findInitializer(graph, betaName);
  if (!g || !b) {
    throw new AdapterError(
      'ADAPTER_MISMATCH',
      `The model has no LayerNorm "${module}" (a LayerNormalization node with stored scale and bias).`,
      {
        module,
      },
    );
  }
  return { gamma: tensorToFloat32(g), beta: tensorToFloat32(b), eps: site?.epsilon ?? fallbackEps };
}

/**
 * Reads the frozen weights of encoder layer `layer`, the pooler and the classifier from the ONNX model.
 *
 * @param model - the decoded model
 * @param s - its structure
 * @param layer - the layer to read (normally the top one)
 * @param config - parsed config.json (for `layer_norm_eps` when the graph lacks it)
 */
export function readTopLayer(
  model: ModelProto,
  s: BertStructure,
  layer: number,
  config: Record<string, unknown>,
): TopLayerWeights {
  const eps = typeof config['layer_norm_eps'] === 'number' ? (config['layer_norm_eps'] as number) : 1e-12;
  const m = (part: string) => layerModule(s, layer, part);
  return {
    hidden: s.hidden,
    heads: s.heads,
    activation: s.activation,
    query: linearAt(model, m('attention.self.query')),
    key: linearAt(model, m('attention.self.key')),
    value: linearAt(model, m('attention.self.value')),
    attentionOut: linearAt(model, m('attention.output.dense')),
    ln1: layerNormAt(model, m('attention.output.LayerNorm'), eps),
    intermediate: linearAt(model, m('intermediate.dense')),
    output: linearAt(model, m('output.dense')),
    ln2: layerNormAt(model, m('output.LayerNorm'), eps),
    pooler: linearAt(model, `${s.prefix}pooler.dense`),
    classifier: linearAt(model, 'classifier'),
  };
}
