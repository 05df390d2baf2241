import { abstained, scored } from '../../core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState } from '../../core/detector.js';
import {
  beginDetectBatch,
  checkName,
  checkState,
  checkThreshold,
  type StateFormat,
  stateHead,
} from '../../core/detector-kit.js';
import type { JsonObject } from '../../core/json.js';
import { refuseUnknownDetectOptions } from '../../core/method-options.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../../core/transcript.js';
import { checkLabel, validateTranscriptAt } from '../../core/validate-examples.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { NotFittedError } from '../../errors/not-fitted-error.js';
import {
  decision,
  fitLogisticRegression,
  fitSparseLogisticRegression,
  type LogisticModel,
  sigmoid,
} from '../../numeric/logistic-regression.js';
import { transcriptText } from '../../peft/training/transcript-text.js';
import type { Embedder } from '../../runtime/embedder.js';
import { HashingEmbedder, isHashingEmbedder } from '../../runtime/hashing-embedder.js';
import {
  deserializeModelOptions,
  MODEL_OPTION_KEYS,
  type ModelOptions,
  serializeModelOptions,
} from '../../runtime/model-options.js';
import { TransformersEmbedder } from '../../runtime/transformers-embedder.js';
import { withoutKeys } from '../model-detector-kit.js';
import { linearProbeChecks } from './linear-probe-checks.js';

/** Every key of {@link LinearProbeOptions}: `new LinearProbeDetector()` refuses any other. */
const LINEAR_PROBE_DETECTOR_OPTION_KEYS: OptionKeys<LinearProbeOptions> = {
  ...MODEL_OPTION_KEYS,
  name: true,
  threshold: true,
  embedder: true,
  l2: true,
  balanceClasses: true,
};

const FORMAT: StateFormat = { kind: 'probe', version: 1, owner: 'LinearProbeDetector', label: 'probe' };
/** The options the probe reads itself; the rest are the model options of its default embedder. */
const OWN_KEYS = ['name', 'threshold', 'embedder', 'l2', 'balanceClasses'] as const;

/** Options for {@link LinearProbeDetector}. */
export interface LinearProbeOptions extends ModelOptions {
  /**
   * Name in results and ensembles.
   * @defaultValue 'probe'
   */
  name?: string;
  /**
   * P(bot) at or above which the label is bot.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * The frozen encoder. When omitted, a `TransformersEmbedder` (mean-pooled, normalized) is built from the
   * model options (`model`, `dtype`...).
   * @defaultValue a TransformersEmbedder of the model options
   */
  embedder?: Embedder;
  /**
   * L2 penalty of the logistic regression.
   * @defaultValue 1
   */
  l2?: number;
  /**
   * Weight the classes to balance them while fitting.
   * @defaultValue true
   */
  balanceClasses?: boolean;
}

/**
 * A probing head: logistic regression over frozen pooled sentence embeddings of the target speaker's text, as in
 * feature-based transfer learning. Training embeds every example once and fits the head with
 * `fitLogisticRegression`; it takes seconds, and the encoder is never changed. The fast, simple alternative to a
 * LoRA classifier, and a natural distillation student (`fitSoft`).
 *
 * @example
 * ```ts
 * const probe = new LinearProbeDetector({ model: 'Xenova/all-MiniLM-L6-v2' });
 * await probe.fit(await readTranscriptsJsonl('train.jsonl'));
 * const d = await probe.detect(transcript);
 * ```
 */
export class LinearProbeDetector implements Detector {
  /** Name in results. */
  readonly name: string;
  /** Decision threshold on P(bot). */
  readonly threshold: number;
  /** The frozen encoder. */
  readonly embedder: Embedder;
  private readonly l2: number;
  private readonly balance: boolean;
  private readonly modelOptions: ModelOptions | undefined;
  private head: LogisticModel | undefined;

  /** @param options - see {@link LinearProbeOptions} */
  constructor(options: LinearProbeOptions = {}) {
    refuseUnknownKeys(options, LINEAR_PROBE_DETECTOR_OPTION_KEYS, 'the options of new LinearProbeDetector()');
    const { name, threshold, embedder, l2, balanceClasses } = options;
    const modelOptions = withoutKeys(options, OWN_KEYS);
    this.name = checkName(name, FORMAT.kind);
    this.threshold = checkThreshold(threshold);
    this.l2 = linearProbeChecks.l2(l2);
    this.balance = linearProbeChecks.balanceClasses(balanceClasses);
    if (embedder) {
      if (typeof embedder.embed !== 'function')
        throw new InvalidOptionsError('embedder', 'expected an Embedder (id and embed())');
      this.embedder = embedder;
      this.modelOptions = undefined;
    } else {
      this.embedder = new TransformersEmbedder(modelOptions);
      this.modelOptions = modelOptions;
    }
  }

  /** True once fitted (or restored from fitted state). */
  get fitted(): boolean {
    return this.head !== undefined;
  }

  private async embedValid(
    vs: readonly ValidTranscript[],
    opts: DetectOptions,
  ): Promise<(Float32Array | null)[]> {
    const texts = vs.map(transcriptText);
    const idx = texts.map((t, i) => (t ? i : -1)).filter((i) => i >= 0);
    const vecs = await this.embedder.embed(
      idx.map((i) => texts[i]!),
      opts,
    );
    const out: (Float32Array | null)[] = vs.map(() => null);
    idx.forEach((i, j) => {
      out[i] = vecs[j]!;
    });
    return out;
  }

  /**
   * Fits the head on labelled transcripts (targets that wrote no text are skipped).
   *
   * @param examples - labelled transcripts with both classes
   * @param opts - `signal` to cancel
   */
  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    refuseUnknownDetectOptions(opts, 'fit', this.name);
    if (!Array.isArray(examples))
      throw new InvalidOptionsError('examples', 'expected an array of labelled transcripts');
    const y = examples.map((e, i) => {
      checkLabel(e, `examples[${i}]`);
      return e.label === 'bot' ? 1 : 0;
    });
    await this.fitSoft(examples, y, opts);
  }

  /**
   * Fits the head on soft targets (P(bot) per transcript, e.g. a teacher's scores): logistic regression accepts
   * targets in [0, 1] directly. This is how `distill` (botlens/peft) trains a probe student.
   *
   * @param transcripts - the transcripts
   * @param targets - P(bot) per transcript
   * @param opts - `signal` to cancel
   */
  async fitSoft(
    transcripts: readonly Transcript[],
    targets: readonly number[],
    opts: DetectOptions = {},
  ): Promise<void> {
    AbortedError.throwIfAborted(opts.signal, `${this.name} fit`);
    if (!Array.isArray(transcripts) || !Array.isArray(targets) || transcripts.length !== targets.length) {
      throw new InvalidOptionsError('targets', 'give one target per transcript');
    }
    const vs = transcripts.map((t, i) => validateTranscriptAt(t, `examples[${i}]`));
    // Hashed vectors are mostly zeros: fit on their non-zeros (the same model, a fraction of the work).
    const hashing = isHashingEmbedder(this.embedder) ? this.embedder : undefined;
    const rows: { indices: Int32Array; values: Float32Array }[] = [];
    const X: number[][] = [];
    const y: number[] = [];
    if (hashing) {
      vs.forEach((v, i) => {
        const text = transcriptText(v);
        if (!text) return;
        rows.push(hashing.embedSparse(text));
        y.push(targets[i]!);
      });
    } else {
      const vecs = await this.embedValid(vs, opts);
      vecs.forEach((v, i) => {
        if (v) {
          X.push(Array.from(v));
          y.push(targets[i]!);
        }
      });
    }
    const pos = y.reduce((s, v) => s + v, 0);
    if (y.length === 0 || pos <= 0 || pos >= y.length) {
      throw new InvalidOptionsError(
        'examples',
        `fit needs examples of both classes whose target wrote text; got ${y.length} usable examples`,
      );
    }
    const sampleWeights = this.balance
      ? y.map((v) => v * (y.length / (2 * pos)) + (1 - v) * (y.length / (2 * (y.length - pos))))
      : undefined;
    AbortedError.throwIfAborted(opts.signal, `${this.name} fit`);
    const lr = { l2: this.l2, ...(sampleWeights ? { sampleWeights } : {}) };
    this.head = hashing
      ? fitSparseLogisticRegression(rows, hashing.dim, y, lr)
      : fitLogisticRegression(X, y, lr);
  }

  /**
   * Judges the target speaker. Abstains when the target wrote no text.
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel
   * @throws NotFittedError before `fit`
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    refuseUnknownDetectOptions(opts, 'detect', this.name); // named as detect(), not as the batch it runs
    return (await this.detectBatch([t], opts))[0]!;
  }

  /**
   * Judges many transcripts with one batched embedding call.
   *
   * @param ts - the transcripts
   * @param opts - `signal` to cancel
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    const { started, vs } = beginDetectBatch(this.name, ts, opts);
    const head = this.head;
    if (!head)
      throw new NotFittedError(
        this.name,
        'call fit(examples) first, or restore fitted state with fromJSON()',
      );
    const vecs = await this.embedValid(vs, opts);
    return vs.map((v, i) => {
      const x = vecs[i];
      if (!x)
        return abstained(this.name, `"${v.target}" wrote no text, so there is nothing to embed.`, started);
      const z = decision(head, x);
      const p = sigmoid(z);
      return scored(
        this.name,
        p,
        this.threshold,
        [
          {
            name: 'probe_log_odds',
            value: z,
            sentence: `A linear probe on frozen ${this.embedder.id.split(':')[0]} embeddings gives P(bot) = ${p.toFixed(2)}.`,
            contribution: z,
          },
        ],
        started,
      );
    });
  }

  /** The fitted head and settings, for {@link LinearProbeDetector.fromJSON}. */
  toJSON(): DetectorState {
    if (!this.head) throw new NotFittedError(this.name, 'call fit(examples) before toJSON()');
    const state: DetectorState = {
      ...stateHead(FORMAT.kind, FORMAT.version, this.name, this.threshold),
      l2: this.l2,
      balanceClasses: this.balance,
      embedderId: this.embedder.id,
      weights: this.head.weights,
      intercept: this.head.intercept,
    };
    if (this.modelOptions) state['model'] = serializeModelOptions(this.modelOptions) as JsonObject;
    return state;
  }

  /**
   * Restores a probe. The embedder is rebuilt from the state (a hashing embedder's id, or the saved model options
   * of a TransformersEmbedder) unless one is given; its id must match the one the head was fitted on.
   *
   * @param state - from {@link LinearProbeDetector.toJSON}
   * @param options - an embedder to use, and overrides
   * @throws InvalidOptionsError for a state of another kind or version, or an embedder with another id
   */
  static fromJSON(state: DetectorState, options: LinearProbeOptions = {}): LinearProbeDetector {
    checkState(state, FORMAT);
    const weights = state['weights'];
    const intercept = state['intercept'];
    if (
      !Array.isArray(weights) ||
      !weights.every((w) => typeof w === 'number') ||
      typeof intercept !== 'number'
    ) {
      throw new InvalidOptionsError('state.weights', 'expected a fitted probe state (weights, intercept)');
    }
    const id = String(state['embedderId'] ?? '');
    const embedder =
      options.embedder ??
      HashingEmbedder.fromId(id) ??
      (state['model']
        ? new TransformersEmbedder({
            ...deserializeModelOptions(state['model']),
            ...withoutKeys(options, OWN_KEYS),
          })
        : undefined);
    if (!embedder)
      throw new InvalidOptionsError('embedder', `pass the embedder the probe was fitted with (id ${id})`);
    if (embedder.id !== id) {
      throw new InvalidOptionsError(
        'embedder',
        `has id "${embedder.id}" but the probe was fitted on "${id}": vectors would not match`,
      );
    }
    const d = new LinearProbeDetector({
      name: typeof state['name'] === 'string' ? state['name'] : FORMAT.kind,
      threshold: typeof state['threshold'] === 'number' ? state['threshold'] : 0.5,
      l2: typeof state['l2'] === 'number' ? state['l2'] : 1,
      balanceClasses: state['balanceClasses'] !== false,
      ...options,
      embedder,
    });
    d.head = { weights: weights as number[], intercept };
    return d;
  }

  /** Releases the embedder's model. */
  async dispose(): Promise<void> {
    await this.embedder.dispose?.();
  }
}
