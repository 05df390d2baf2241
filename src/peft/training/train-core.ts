import { describeValue } from '../../core/describe-value.js';
import type { OptionKeys } from '../../core/refuse-unknown-keys.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { seededRandom, shuffle } from '../../numeric/random.js';
import { Adam } from './adam.js';
import { backward, crossEntropy, forward, paramList, zeroGradients } from './top-layer.js';
import type { ExampleFeatures, LoraTarget, TopLayerWeights, TrainableParams } from './top-layer-weights.js';

/** One training or validation example: features and a probability per class. */
export interface TrainingExample {
  /** The top layer's input features. */
  features: ExampleFeatures;
  /** The target distribution over the classifier's labels (one-hot for a hard label). */
  target: Float64Array;
}

/** Hyper-parameters of `trainTopLayer`. */
export interface TrainHyperparameters {
  /**
   * LoRA rank.
   * @defaultValue 8
   */
  r?: number;
  /**
   * LoRA alpha; the update is scaled by alpha / r.
   * @defaultValue 32
   */
  alpha?: number;
  /**
   * Projections of the top layer that get LoRA; `[]` trains the classification head alone.
   * @defaultValue ['query', 'value']
   */
  targets?: readonly LoraTarget[];
  /**
   * Most passes over the training set.
   * @defaultValue 20
   */
  epochs?: number;
  /**
   * Examples per Adam step.
   * @defaultValue 16
   */
  batchSize?: number;
  /**
   * Adam step size.
   * @defaultValue 0.003
   */
  learningRate?: number;
  /**
   * Decoupled weight decay (AdamW).
   * @defaultValue 0
   */
  weightDecay?: number;
  /**
   * Stop after this many epochs without a lower validation loss (the best epoch's weights are kept).
   * @defaultValue 3
   */
  patience?: number;
  /**
   * Seed of the LoRA initialisation and the example order.
   * @defaultValue 0
   */
  seed?: number;
}

/** Every key of {@link TrainHyperparameters}, for the options check of `trainLora`. @internal */
export const TRAIN_HYPERPARAMETER_KEYS: OptionKeys<TrainHyperparameters> = {
  r: true,
  alpha: true,
  targets: true,
  epochs: true,
  batchSize: true,
  learningRate: true,
  weightDecay: true,
  patience: true,
  seed: true,
};

/** Figures of one epoch. */
export interface EpochStats {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch. */
  trainLoss: number;
  /** Validation loss (cross-entropy), or NaN without a validation set. */
  validationLoss: number;
  /** Validation accuracy. */
  validationAccuracy: number;
  /** Validation F1 of the positive class. */
  validationF1: number;
  /** Wall time of the epoch in milliseconds. */
  ms: number;
}

/**
 * A training event for progress displays, by `phase`: `encode` (the frozen layers have encoded `done` of
 * `total` texts), `step` (one Adam step finished) or `epoch` (one epoch finished, validation included).
 */
export type TrainProgress =
  | {
      /** The frozen layers are encoding the texts. */
      phase: 'encode';
      /** Texts encoded. */
      done: number;
      /** Texts in all. */
      total: number;
    }
  | {
      /** One Adam step finished. */
      phase: 'step';
      /** 1-based epoch. */
      epoch: number;
      /** Most epochs. */
      epochs: number;
      /** 1-based step within the epoch. */
      step: number;
      /** Steps per epoch. */
      steps: number;
      /** Mean loss of the step's mini-batch. */
      loss: number;
    }
  | {
      /** One epoch finished. */
      phase: 'epoch';
      /** The epoch's figures. */
      stats: EpochStats;
      /** Whether this epoch has the lowest validation loss so far (its weights are kept). */
      best: boolean;
    };

/** What `trainTopLayer` returns. */
export interface TrainOutcome {
  /** The trained parameters (the best epoch's). */
  params: TrainableParams;
  /** Per-epoch figures. */
  history: EpochStats[];
  /** The epoch whose weights were kept (1-based; 0 when no epoch ran). */
  bestEpoch: number;
  /** True when training stopped before `epochs` because the validation loss stopped improving. */
  stoppedEarly: boolean;
}

/**
 * Fresh trainable parameters as PEFT initialises them: A uniform in +-1/sqrt(hidden) (Kaiming-uniform with
 * a = sqrt(5)), B zero (so training starts from the base model), the classifier copied from the base.
 *
 * @param w - frozen weights (their classifier is the head's start)
 * @param r - rank
 * @param alpha - alpha
 * @param targets - projections with LoRA
 * @param seed - RNG seed
 */
export function initialParams(
  w: TopLayerWeights,
  r: number,
  alpha: number,
  targets: readonly LoraTarget[],
  seed: number,
): TrainableParams {
  const rnd = seededRandom(seed);
  const H = w.hidden;
  const bound = 1 / Math.sqrt(H);
  const A: TrainableParams['A'] = {};
  const B: TrainableParams['B'] = {};
  for (const t of targets) {
    const a = new Float64Array(r * H);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rnd() - 1) * bound;
    A[t] = a;
    B[t] = new Float64Array(H * r);
  }
  return {
    r,
    scaling: alpha / r,
    A,
    B,
    classifierWeight: Float64Array.from(w.classifier.weight),
    classifierBias: Float64Array.from(w.classifier.bias),
  };
}

function cloneParams(p: TrainableParams): TrainableParams {
  const A: TrainableParams['A'] = {};
  const B: TrainableParams['B'] = {};
  for (const t of Object.keys(p.A) as LoraTarget[]) {
    A[t] = p.A[t]!.slice();
    B[t] = p.B[t]!.slice();
  }
  return {
    r: p.r,
    scaling: p.scaling,
    A,
    B,
    classifierWeight: p.classifierWeight.slice(),
    classifierBias: p.classifierBias.slice(),
  };
}

/** Validation figures: mean loss, accuracy and F1 of class `positive` (argmax prediction). */
export function evaluateExamples(
  w: TopLayerWeights,
  p: TrainableParams,
  examples: readonly TrainingExample[],
  positive: number,
): { loss: number; accuracy: number; f1: number; probs: Float64Array[] } {
  let loss = 0;
  let correct = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const probs: Float64Array[] = [];
  for (const ex of examples) {
    const f = forward(w, p, ex.features);
    const ce = crossEntropy(f.logits, ex.target);
    loss += ce.loss;
    probs.push(ce.probs);
    const pred = argmax(ce.probs);
    const truth = argmax(ex.target);
    if (pred === truth) correct++;
    if (pred === positive && truth === positive) tp++;
    else if (pred === positive) fp++;
    else if (truth === positive) fn++;
  }
  const n = Math.max(1, examples.length);
  const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  return { loss: loss / n, accuracy: correct / n, f1, probs };
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min)
    throw new InvalidOptionsError(name, `expected an integer >= ${min}, got ${describeValue(v)}`);
}

/**
 * Trains LoRA on the top layer and the classification head over cached features: mini-batch Adam on the mean
 * cross-entropy, one validation pass per epoch, early stopping on the validation loss (the best epoch's weights
 * are returned). Pure computation: no model, no I/O.
 *
 * @param w - frozen weights
 * @param train - training examples
 * @param validation - validation examples (may be empty: then every epoch runs and the last is kept)
 * @param options - hyper-parameters, the index of the positive class for F1, progress and cancellation
 * @throws AbortedError when `signal` aborts (checked between steps)
 */
export function trainTopLayer(
  w: TopLayerWeights,
  train: readonly TrainingExample[],
  validation: readonly TrainingExample[],
  options: TrainHyperparameters & {
    positive: number;
    signal?: AbortSignal;
    onProgress?: (p: TrainProgress) => void;
  },
): TrainOutcome {
  const r = options.r ?? 8;
  const alpha = options.alpha ?? 32;
  const targets = options.targets ?? ['query', 'value'];
  const epochs = options.epochs ?? 20;
  const batchSize = options.batchSize ?? 16;
  const patience = options.patience ?? 3;
  const lr = options.learningRate ?? 3e-3;
  checkInt('r', r, 1);
  checkInt('epochs', epochs, 1);
  checkInt('batchSize', batchSize, 1);
  checkInt('patience', patience, 1);
  if (!(lr > 0 && Number.isFinite(lr)))
    throw new InvalidOptionsError('learningRate', `expected a positive number, got ${describeValue(lr)}`);
  if (!(Number.isFinite(alpha) && alpha > 0))
    throw new InvalidOptionsError('alpha', `expected a positive number, got ${describeValue(alpha)}`);
  for (const t of targets) {
    if (t !== 'query' && t !== 'key' && t !== 'value') {
      throw new InvalidOptionsError(
        'targets',
        `"${String(t)}" is not supported; use "query", "key" and/or "value"`,
      );
    }
  }
  if (train.length === 0)
    throw new InvalidOptionsError('examples', 'no training example has text to learn from');
  const seed = options.seed ?? 0;
  const params = initialParams(w, r, alpha, targets, seed);
  const list = paramList(params).map(([, a]) => a);
  const opt = new Adam(list, { learningRate: lr, weightDecay: options.weightDecay ?? 0 });
  const rnd = seededRandom(seed + 1);
  const order = train.map((_, i) => i);
  const steps = Math.ceil(train.length / batchSize);
  const history: EpochStats[] = [];
  let best = cloneParams(params);
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestEpoch = 0;
  let sinceBest = 0;
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    shuffle(order, rnd);
    let lossSum = 0;
    for (let s = 0; s < steps; s++) {
      AbortedError.throwIfAborted(options.signal, 'LoRA training');
      const idx = order.slice(s * batchSize, (s + 1) * batchSize);
      const grads = zeroGradients(params);
      let batchLoss = 0;
      for (const i of idx) {
        const ex = train[i]!;
        const f = forward(w, params, ex.features);
        const ce = crossEntropy(f.logits, ex.target);
        batchLoss += ce.loss;
        for (let c = 0; c < ce.dlogits.length; c++) ce.dlogits[c]! /= idx.length;
        backward(w, params, ex.features, f, ce.dlogits, grads);
      }
      opt.step(paramList(grads).map(([, a]) => a));
      lossSum += batchLoss;
      options.onProgress?.({
        phase: 'step',
        epoch,
        epochs,
        step: s + 1,
        steps,
        loss: batchLoss / idx.length,
      });
    }
    const v = validation.length > 0 ? evaluateExamples(w, params, validation, options.positive) : undefined;
    const stats: EpochStats = {
      epoch,
      trainLoss: lossSum / train.length,
      validationLoss: v?.loss ?? Number.NaN,
      validationAccuracy: v?.accuracy ?? Number.NaN,
      validationF1: v?.f1 ?? Number.NaN,
      ms: performance.now() - started,
    };
    history.push(stats);
    const improved = !v || v.loss < bestLoss - 1e-9;
    if (improved) {
      bestLoss = v?.loss ?? bestLoss;
      best = cloneParams(params);
      bestEpoch = epoch;
      sinceBest = 0;
    } else sinceBest++;
    options.onProgress?.({ phase: 'epoch', stats, best: improved });
    if (sinceBest >= patience && epoch < epochs) {
      stoppedEarly = true;
      break;
    }
  }
  return { params: best, history, bestEpoch, stoppedEarly };
}
