import { describeValue } from '../../core/describe-value.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import type { Label, Transcript } from '../../core/transcript.js';
import { validateTranscriptAt } from '../../core/validate-examples.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../../errors/invalid-transcript-error.js';
import { seededRandom, shuffle } from '../../numeric/random.js';
import { softmaxAt } from '../../numeric/softmax.js';
import { localModelFolder } from '../../onnx/model-folder.js';
import type { ModelOptions } from '../../runtime/model-options.js';
import { MODEL_OPTION_KEYS } from '../../runtime/model-options.js';
import type { BertStructure } from './bert-structure.js';
import { BertTrunk } from './bert-trunk.js';
import { classifierBaseFolder } from './classification-head.js';
import { type LoraAdapterFiles, loraAdapterFiles, saveLoraAdapter } from './save-adapter.js';
import { forward } from './top-layer.js';
import type { ExampleFeatures, TopLayerWeights, TrainableParams } from './top-layer-weights.js';
import {
  type EpochStats,
  evaluateExamples,
  TRAIN_HYPERPARAMETER_KEYS,
  type TrainHyperparameters,
  type TrainingExample,
  type TrainProgress,
  trainTopLayer,
} from './train-core.js';
import { transcriptText } from './transcript-text.js';

/** A transcript to learn from: with a label, or (for distillation) with a soft target passed separately. */
export interface TrainingTranscript extends Transcript {
  /** The known label; may be omitted when `softTargets` are given. */
  label?: Label;
}

/** Options for {@link trainLora}. */
export interface TrainLoraOptions extends Omit<ModelOptions, 'onProgress'>, TrainHyperparameters {
  /** The base model: a BERT-style sequence classifier (folder or hub id) with pooler and classifier. */
  model: string;
  /** Training transcripts, each with a `label` unless `softTargets` is given. */
  examples: readonly TrainingTranscript[];
  /**
   * P(bot) per example (e.g. a teacher's scores), used instead of the labels: training then minimises the
   * cross-entropy to these soft targets (distillation).
   * @defaultValue undefined (use the labels)
   */
  softTargets?: readonly number[];
  /**
   * Validation transcripts for early stopping.
   * @defaultValue a stratified `validationSplit` of `examples`
   */
  validation?: readonly TrainingTranscript[];
  /** Soft targets of `validation` (required when `softTargets` is given with an explicit validation set). */
  validationSoftTargets?: readonly number[];
  /**
   * Share of `examples` held out for validation when `validation` is not given (0 turns early stopping off).
   * @defaultValue 0.2
   */
  validationSplit?: number;
  /**
   * The label in `config.id2label` that means bot (case-insensitive), or its index.
   * @defaultValue 'bot'
   */
  botLabel?: string | number;
  /**
   * Most tokens per transcript text (special tokens included).
   * @defaultValue 128
   */
  maxLength?: number;
  /**
   * Write the trained adapter (PEFT format) to this folder.
   * @defaultValue undefined (keep it in memory only)
   */
  out?: string;
  /** Cancels training; the promise then rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Called with encoding progress, every step and every epoch. */
  onProgress?: (p: TrainProgress) => void;
}

/** The trained model held in memory: the frozen top layer and the trained parameters. */
export interface TrainedTopLayer {
  /** The base model's layout. */
  structure: BertStructure;
  /** The trained layer index. */
  layer: number;
  /** Frozen weights. */
  weights: TopLayerWeights;
  /** Trained parameters. */
  params: TrainableParams;
  /** The classifier index of the bot label. */
  botIndex: number;
}

/** What {@link trainLora} returns. */
export interface TrainLoraResult {
  /** The adapter in PEFT's format (also written to `out` when given). */
  adapter: LoraAdapterFiles;
  /** The folder written, if any. */
  folder: string | undefined;
  /**
   * The base folder trained against: the model's own folder, or (for an encoder without a classification head)
   * a derived folder in the botlens cache where a head was added; merging the adapter into `model` adds the same
   * head again.
   */
  base: string;
  /** True when the base had no classification head and one was added. */
  addedHead: boolean;
  /** Per-epoch figures. */
  history: EpochStats[];
  /** The epoch whose weights were kept. */
  bestEpoch: number;
  /** Whether early stopping ended training. */
  stoppedEarly: boolean;
  /** Validation figures at the best epoch (NaN without validation data). */
  validation: {
    /** Mean cross-entropy. */
    loss: number;
    /** Share classified right (argmax). */
    accuracy: number;
    /** F1 of the bot class. */
    f1: number;
  };
  /** Trainable parameters (LoRA factors and the classifier). */
  trainableParameters: number;
  /** All parameters, counted as PEFT does (base model plus trainable). */
  totalParameters: number;
  /** trainable / total. */
  trainableShare: number;
  /** Example counts. */
  counts: {
    /** Training examples used. */
    train: number;
    /** Validation examples used. */
    validation: number;
    /** Examples left out because the target wrote no text. */
    skipped: number;
  };
  /** Milliseconds spent running the frozen layers (feature caching) and training. */
  timing: {
    /** Running the frozen layers once per example. */
    encodeMs: number;
    /** The training loop. */
    trainMs: number;
  };
}

/** What {@link trainLoraModel} returns: {@link TrainLoraResult} plus the trained top layer, kept in memory. */
export interface TrainedLora extends TrainLoraResult {
  /** The trained model, for predictions without merging (see {@link predictTopLayer}). */
  model: TrainedTopLayer;
}

/** The index of the bot label among a classifier's labels. */
export function botLabelIndex(labels: readonly string[], botLabel: string | number = 'bot'): number {
  if (typeof botLabel === 'number') {
    if (!Number.isInteger(botLabel) || botLabel < 0 || botLabel >= labels.length) {
      throw new InvalidOptionsError(
        'botLabel',
        `index ${botLabel} is out of range: the model has ${labels.length} labels (${labels.join(', ')})`,
      );
    }
    return botLabel;
  }
  const i = labels.findIndex((l) => l.toLowerCase() === botLabel.toLowerCase());
  if (i < 0) {
    throw new InvalidOptionsError(
      'botLabel',
      `"${botLabel}" is not one of the model's labels (${labels.join(', ')}): set botLabel to the one that means bot`,
    );
  }
  return i;
}

/** The index of the human class: a label named `human`, else the other label of a two-label model. */
export function humanLabelIndex(labels: readonly string[], botIndex: number): number {
  const i = labels.findIndex((l, j) => j !== botIndex && l.toLowerCase() === 'human');
  if (i >= 0) return i;
  if (labels.length === 2) return 1 - botIndex;
  throw new InvalidOptionsError(
    'model',
    `the model has ${labels.length} labels (${labels.join(', ')}) and none is "human": train on a two-label classifier`,
  );
}

function targetVector(C: number, bot: number, human: number, p: number): Float64Array {
  const t = new Float64Array(C);
  t[bot] = p;
  t[human] = 1 - p;
  return t;
}

function targetsOf(
  items: readonly TrainingTranscript[],
  soft: readonly number[] | undefined,
  what: string,
): number[] {
  if (soft !== undefined) {
    if (soft.length !== items.length)
      throw new InvalidOptionsError(
        `${what}SoftTargets`,
        `has ${soft.length} values for ${items.length} examples`,
      );
    soft.forEach((p, i) => {
      if (!(p >= 0 && p <= 1))
        throw new InvalidOptionsError(
          `${what}SoftTargets`,
          `value ${i} is ${p}; soft targets are probabilities in [0, 1]`,
        );
    });
    return [...soft];
  }
  return items.map((t, i) => {
    if (t.label !== 'bot' && t.label !== 'human') {
      throw new InvalidTranscriptError([
        { path: `${what}[${i}].label`, message: 'label must be "human" or "bot" (or pass softTargets)' },
      ]);
    }
    return t.label === 'bot' ? 1 : 0;
  });
}

/**
 * Refuses labelled examples of one class only: training then learns nothing that tells bots from humans (and the
 * validation F1 of the bot class reads 0 every epoch), yet an adapter would be written.
 *
 * @param targets - 1 for bot, 0 for human
 * @param option - the option at fault
 * @param what - the examples, for the message
 * @param split - the validation split used, for the hint
 * @throws InvalidOptionsError when every target is the same class
 */
function refuseOneClass(targets: readonly number[], option: string, what: string, split: number): void {
  const bots = targets.filter((p) => p >= 0.5).length;
  if (bots > 0 && bots < targets.length) return;
  const only = bots > 0 ? 'bot' : 'human';
  const missing = bots > 0 ? 'human' : 'bot';
  const n = targets.length;
  const held =
    n === 0
      ? `there are no ${what}`
      : n === 1
        ? `the one ${what.replace(/s$/, '')} is ${only}`
        : `the ${n} ${what} are all ${only}`;
  const hint =
    option === 'validation'
      ? `add ${missing} examples to the validation set, or leave it out to hold out a stratified validationSplit`
      : option === 'validationSplit'
        ? `the validationSplit of ${split} holds out too few examples of each class: give more labelled examples of both classes, a validation set of your own (CLI --validation), a larger validationSplit, or validationSplit 0 (no early stopping)`
        : `add ${missing} examples (label "${missing}")`;
  throw new InvalidOptionsError(
    option,
    `LoRA training needs both human and bot examples to learn to tell them apart, and ${held}: ${hint}`,
  );
}

/**
 * Stratified split: `share` of each class (rounded) goes to validation, seeded; each class keeps at least one
 * example in training.
 */
function stratifiedSplit(
  targets: readonly number[],
  share: number,
  seed: number,
): { train: number[]; validation: number[] } {
  const rnd = seededRandom(seed + 17);
  const groups = new Map<number, number[]>();
  targets.forEach((p, i) => {
    const k = p >= 0.5 ? 1 : 0;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(i);
  });
  const train: number[] = [];
  const validation: number[] = [];
  for (const idx of groups.values()) {
    shuffle(idx, rnd);
    const nVal = Math.min(Math.round(idx.length * share), idx.length - 1);
    validation.push(...idx.slice(0, nVal));
    train.push(...idx.slice(nVal));
  }
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}

/** Parameter count of a BERT sequence classifier, from its config (as PyTorch counts it). */
function bertParameterCount(config: Record<string, unknown>, s: BertStructure, labels: number): number {
  const num = (k: string, d: number) => (typeof config[k] === 'number' ? (config[k] as number) : d);
  const H = s.hidden;
  const I = num('intermediate_size', 4 * H);
  const emb =
    (num('vocab_size', 0) + num('max_position_embeddings', 512) + num('type_vocab_size', 2)) * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  return emb + s.layers * layer + (H * H + H) + (labels * H + labels);
}

const TRAIN_LORA_OPTION_KEYS: OptionKeys<TrainLoraOptions> = {
  ...MODEL_OPTION_KEYS,
  ...TRAIN_HYPERPARAMETER_KEYS,
  model: true,
  examples: true,
  softTargets: true,
  validation: true,
  validationSoftTargets: true,
  validationSplit: true,
  botLabel: true,
  maxLength: true,
  out: true,
  signal: true,
  onProgress: true,
};

/**
 * Trains a rank-r LoRA adapter on the top encoder layer's projections (query and value by default) together with
 * the classification head, on labelled transcripts, in process, without Python. The lower layers stay frozen and
 * run once per example through ONNX Runtime (their outputs are cached); the top layer, the pooler and the head run
 * in TypeScript, with hand-written gradients (checked against finite differences in the tests). Mini-batch Adam,
 * early stopping on a validation split (the best epoch is kept), progress events and an abort signal.
 *
 * The result is a PEFT-format adapter (`adapter_config.json` + `adapter_model.safetensors`, PEFT tensor names)
 * that `mergeLoraAdapter` folds into the base model, and PEFT itself can load.
 *
 * @param options - see {@link TrainLoraOptions}
 * @throws InvalidOptionsError for bad options, a model that is not a BERT-style classifier, or labelled
 *   training or validation examples of one class only (before any model is loaded)
 * @throws AbortedError when cancelled
 * @throws MissingDependencyError naming `npm install protobufjs` when that optional peer dependency is not installed
 *
 * @example
 * ```ts
 * const train = await readTranscriptsJsonl('data/train.jsonl');
 * const res = await trainLora({ model: 'models/tiny-bert-cls', examples: train, out: 'adapters/bots' });
 * console.log(res.validation.f1, res.trainableShare);
 * await mergeLoraAdapter({ base: 'models/tiny-bert-cls', adapter: 'adapters/bots', out: 'models/bots' });
 * ```
 */
export async function trainLora(options: TrainLoraOptions): Promise<TrainLoraResult> {
  refuseUnknownKeys(options, TRAIN_LORA_OPTION_KEYS, 'the options of trainLora()');
  const { model: _inMemory, ...result } = await trainLoraModel(options);
  return result;
}

/**
 * {@link trainLora}, also returning the trained top layer for in-process predictions (internal: the layer's
 * weight types are not part of the public API).
 */
export async function trainLoraModel(options: TrainLoraOptions): Promise<TrainedLora> {
  const { signal, onProgress } = options;
  AbortedError.throwIfAborted(signal, 'LoRA training');
  if (!Array.isArray(options.examples))
    throw new InvalidOptionsError('examples', 'expected an array of transcripts');
  const split = options.validationSplit ?? 0.2;
  if (!(split >= 0 && split < 1))
    throw new InvalidOptionsError(
      'validationSplit',
      `expected a number in [0, 1), got ${describeValue(split)}`,
    );
  if (
    options.softTargets !== undefined &&
    options.validation !== undefined &&
    options.validationSoftTargets === undefined
  ) {
    throw new InvalidOptionsError(
      'validationSoftTargets',
      'give soft targets for the validation set too when training on soft targets',
    );
  }
  const trainTargets = targetsOf(options.examples, options.softTargets, 'examples');
  if (options.softTargets === undefined) refuseOneClass(trainTargets, 'examples', 'examples', split);
  let valItems: readonly TrainingTranscript[] = [];
  let valTargets: number[] = [];
  let trainItems: readonly TrainingTranscript[] = options.examples;
  let trTargets = trainTargets;
  if (options.validation !== undefined) {
    valItems = options.validation;
    valTargets = targetsOf(options.validation, options.validationSoftTargets, 'validation');
  } else if (split > 0) {
    const s = stratifiedSplit(trainTargets, split, options.seed ?? 0);
    trainItems = s.train.map((i) => options.examples[i]!);
    trTargets = s.train.map((i) => trainTargets[i]!);
    valItems = s.validation.map((i) => options.examples[i]!);
    valTargets = s.validation.map((i) => trainTargets[i]!);
  }
  if (options.validationSoftTargets === undefined && valTargets.length > 0)
    refuseOneClass(
      valTargets,
      options.validation ? 'validation' : 'validationSplit',
      'validation examples',
      split,
    );
  const modelOptions: ModelOptions = {
    model: options.model,
    ...(options.modelDir !== undefined && { modelDir: options.modelDir }),
    ...(options.revision !== undefined && { revision: options.revision }),
    ...(options.offline !== undefined && { offline: options.offline }),
    ...(options.threads !== undefined && { threads: options.threads }),
    ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
    ...(options.device !== undefined && { device: options.device }),
  };
  const located = await localModelFolder('feature-extraction', {
    ...modelOptions,
    defaultModel: options.model,
  });
  const base = await classifierBaseFolder(
    located,
    options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {},
  );
  const trunk = await BertTrunk.open({
    ...modelOptions,
    model: base.folder,
    ...(options.maxLength !== undefined && { maxLength: options.maxLength }),
  });
  try {
    const labels = trunk.structure.labels;
    const bot = botLabelIndex(labels, options.botLabel ?? 'bot');
    const human = humanLabelIndex(labels, bot);
    const C = labels.length;
    const all = [...trainItems, ...valItems];
    const allTargets = [...trTargets, ...valTargets];
    const texts: string[] = [];
    const keep: number[] = [];
    all.forEach((t, i) => {
      const v = validateTranscriptAt(
        t,
        i < trainItems.length ? `examples[${i}]` : `validation[${i - trainItems.length}]`,
      );
      const text = transcriptText(v);
      if (text) {
        texts.push(text);
        keep.push(i);
      }
    });
    const encStart = performance.now();
    const feats = await trunk.encode(texts, {
      ...(signal ? { signal } : {}),
      onProgress: (p) => onProgress?.({ phase: 'encode', done: p.done, total: p.total }),
    });
    const encodeMs = performance.now() - encStart;
    const train: TrainingExample[] = [];
    const validation: TrainingExample[] = [];
    keep.forEach((i, j) => {
      const ex = { features: feats[j]!, target: targetVector(C, bot, human, allTargets[i]!) };
      (i < trainItems.length ? train : validation).push(ex);
    });
    const trainStart = performance.now();
    const outcome = trainTopLayer(trunk.weights, train, validation, {
      ...options,
      positive: bot,
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    const trainMs = performance.now() - trainStart;
    const v =
      validation.length > 0
        ? evaluateExamples(trunk.weights, outcome.params, validation, bot)
        : { loss: Number.NaN, accuracy: Number.NaN, f1: Number.NaN };
    const alpha = options.alpha ?? 32;
    const adapter = loraAdapterFiles(trunk.structure, trunk.layer, outcome.params, {
      baseModel: options.model,
      alpha,
    });
    if (options.out) await saveLoraAdapter(adapter, options.out);
    const p = outcome.params;
    let trainable = p.classifierWeight.length + p.classifierBias.length;
    for (const t of Object.keys(p.A) as (keyof typeof p.A)[]) trainable += p.A[t]!.length + p.B[t]!.length;
    const total = bertParameterCount(trunk.config, trunk.structure, C) + trainable;
    return {
      adapter,
      folder: options.out,
      base: base.folder,
      addedHead: base.addedHead,
      history: outcome.history,
      bestEpoch: outcome.bestEpoch,
      stoppedEarly: outcome.stoppedEarly,
      validation: { loss: v.loss, accuracy: v.accuracy, f1: v.f1 },
      trainableParameters: trainable,
      totalParameters: total,
      trainableShare: trainable / total,
      counts: { train: train.length, validation: validation.length, skipped: all.length - keep.length },
      timing: { encodeMs, trainMs },
      model: {
        structure: trunk.structure,
        layer: trunk.layer,
        weights: trunk.weights,
        params: outcome.params,
        botIndex: bot,
      },
    };
  } finally {
    await trunk.release();
  }
}

/** One prediction of {@link predictTopLayer}. */
export interface TopLayerPrediction {
  /** The classifier's logits. */
  logits: Float64Array;
  /** Softmax probability of the bot label. */
  pBot: number;
}

/**
 * P(bot) of examples under a trained top layer (no merge needed), from their trunk features.
 *
 * @param model - from {@link TrainLoraResult.model}
 * @param features - from `BertTrunk.encode`
 */
export function predictTopLayer(
  model: TrainedTopLayer,
  features: readonly ExampleFeatures[],
): TopLayerPrediction[] {
  return features.map((f) => {
    const logits = forward(model.weights, model.params, f).logits;
    return { logits, pBot: softmaxAt(logits, model.botIndex) };
  });
}
