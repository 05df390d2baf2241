import { join, resolve } from 'node:path';
import { describeValue } from '../../core/describe-value.js';
import { abstained, scored } from '../../core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState } from '../../core/detector.js';
import { beginDetectBatch, checkName, checkThreshold, type StateFormat } from '../../core/detector-kit.js';
import type { JsonObject } from '../../core/json.js';
import { refuseUnknownDetectOptions } from '../../core/method-options.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import type { LabelledTranscript, Transcript } from '../../core/transcript.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { NotFittedError } from '../../errors/not-fitted-error.js';
import { softmaxAt } from '../../numeric/softmax.js';
import { contentKey, derivedModelFolder, localModelFolder } from '../../onnx/model-folder.js';
import { encodeSafetensors, parseSafetensors } from '../../peft/adapter/safetensors.js';
import { mergeLoraAdapter } from '../../peft/merge.js';
import { configLabels } from '../../peft/training/bert-structure.js';
import { type LoraAdapterFiles, saveLoraAdapter } from '../../peft/training/save-adapter.js';
import { botLabelIndex, trainLora } from '../../peft/training/train-lora.js';
import { transcriptText } from '../../peft/training/transcript-text.js';
import { BATCH_PLAN_OPTION_KEYS, type BatchPlanOptions, checkBatchSize } from '../../runtime/batching.js';
import { encodeTexts } from '../../runtime/encode-texts.js';
import { LazyPromise } from '../../runtime/lazy-promise.js';
import { holdModelLoad, loadTransformers } from '../../runtime/load-model.js';
import { absoluteDir } from '../../runtime/local-path.js';
import { ModelHolder } from '../../runtime/model-holder.js';
import type { AcquireModelOptions } from '../../runtime/model-location.js';
import { MODEL_OPTION_KEYS, type ModelOptions, validateModelOptions } from '../../runtime/model-options.js';
import { runEncodedBatches } from '../../runtime/run-encoded.js';
import { floatData } from '../../runtime/tensor-data.js';
import { defaultModelFor } from '../../zoo/model-zoo.js';
import { modelDetectorState, readModelDetectorOptions } from '../model-detector-kit.js';
import { DEFAULT_LORA_TRAINING, type LoraClassifierOptions } from './lora-options.js';

/** Every key of {@link LoraClassifierOptions}: `new LoraClassifierDetector()` refuses any other. */
const LORA_CLASSIFIER_DETECTOR_OPTION_KEYS: OptionKeys<LoraClassifierOptions> = {
  ...MODEL_OPTION_KEYS,
  ...BATCH_PLAN_OPTION_KEYS,
  name: true,
  threshold: true,
  adapters: true,
  botLabel: true,
  maxLength: true,
  training: true,
};

const FORMAT: StateFormat = { kind: 'lora', version: 1, owner: 'LoraClassifierDetector', label: 'lora' };

/**
 * A fine-tuned sequence classifier: a transformer with a classification head (a hub id or a folder), plus zero
 * or more PEFT LoRA adapters merged into it at load time. P(bot) is the softmax probability of the label that
 * means bot in `config.id2label`. Inputs are the target speaker's messages joined, batched like the other
 * model-backed detectors.
 *
 * `fit()` trains a new LoRA adapter (the reference recipe: r = 8, alpha = 32 on query and value of the top
 * layer, plus the head) in process with `trainLora`, and uses it from then on; the adapter travels in `toJSON()`.
 * A bare encoder (no classification head, like the default `Xenova/bert-base-uncased`) must be fitted or given
 * an adapter trained by botlens before it can detect.
 *
 * @example
 * ```ts
 * const lora = new LoraClassifierDetector({ model: 'models/tiny-bert-cls', adapters: ['adapters/bots'] });
 * const d = await lora.detect(transcript);
 * console.log(d.score, d.label);
 * ```
 */
export class LoraClassifierDetector implements Detector {
  /** The `Detector` contract version this class implements. */
  readonly specificationVersion = 'v1' as const;
  /** Name in results. */
  readonly name: string;
  /** Decision threshold on P(bot). */
  readonly threshold: number;
  /** Adapter folders given by the user. */
  readonly adapters: readonly string[];
  private readonly botLabel: string | number;
  private readonly maxLength: number;
  private readonly modelOptions: ModelOptions & { model: string };
  private readonly batch: BatchPlanOptions;
  private readonly training: LoraClassifierOptions['training'];
  private trained: LoraAdapterFiles | undefined;
  private readonly preparing = new LazyPromise<{ holder: ModelHolder; botIndex: number }>();

  /** @param options - see {@link LoraClassifierOptions} */
  constructor(options: LoraClassifierOptions = {}) {
    refuseUnknownKeys(
      options,
      LORA_CLASSIFIER_DETECTOR_OPTION_KEYS,
      'the options of new LoraClassifierDetector()',
    );
    const {
      name,
      threshold,
      adapters,
      botLabel,
      maxLength,
      training,
      batchSize,
      maxBatchTokens,
      ...modelOptions
    } = options;
    validateModelOptions(modelOptions);
    checkBatchSize('batchSize', batchSize);
    this.name = checkName(name, FORMAT.kind);
    this.threshold = checkThreshold(threshold);
    if (
      adapters !== undefined &&
      (!Array.isArray(adapters) || adapters.some((a) => typeof a !== 'string' || a === ''))
    ) {
      throw new InvalidOptionsError('adapters', 'expected an array of adapter folder paths');
    }
    this.adapters = Object.freeze([...(adapters ?? [])]);
    if (this.adapters.length > 0 && (modelOptions.dtype ?? 'fp32') !== 'fp32') {
      throw new InvalidOptionsError(
        'dtype',
        'adapters are merged into the fp32 model: leave dtype at fp32 (quantize the merged folder to get a smaller model)',
      );
    }
    this.botLabel = botLabel ?? 'bot';
    this.maxLength = maxLength ?? 128;
    if (!(Number.isInteger(this.maxLength) && this.maxLength >= 2))
      throw new InvalidOptionsError('maxLength', `expected an integer >= 2, got ${describeValue(maxLength)}`);
    this.modelOptions = { ...modelOptions, model: modelOptions.model ?? defaultModelFor('lora').id };
    this.batch = {
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(maxBatchTokens !== undefined ? { maxBatchTokens } : {}),
    };
    this.training = training;
  }

  /** True when `fit()` trained an adapter (or the state carried one). */
  get fitted(): boolean {
    return this.trained !== undefined;
  }

  private acquireOpts(): ModelOptions & { defaultModel: string } {
    const { onProgress: _p, ...o } = this.modelOptions;
    return { ...o, defaultModel: this.modelOptions.model };
  }

  /** Writes the fitted adapter to a content-addressed cache folder (once). */
  private async trainedFolder(): Promise<string | undefined> {
    const t = this.trained;
    if (!t) return undefined;
    const bytes = encodeSafetensors(t.tensors);
    const key = await contentKey([JSON.stringify(t.config), Buffer.from(bytes).toString('base64')]);
    return derivedModelFolder(
      'adapter',
      key,
      (dir) => saveLoraAdapter(t, dir),
      this.modelOptions.cacheDir,
      'adapter_model.safetensors',
    );
  }

  private async prepare(): Promise<{ holder: ModelHolder; botIndex: number }> {
    const trained = await this.trainedFolder();
    const adapters = trained ? [trained] : this.adapters.map((a) => resolve(a));
    let holder: ModelHolder;
    if (adapters.length > 0) {
      const base = await localModelFolder('sequence-classification', this.acquireOpts());
      const parts: ({ file: string } | string)[] = [{ file: join(base, 'onnx', 'model.onnx') }, 'merge-v1'];
      for (const a of adapters)
        parts.push({ file: join(a, 'adapter_config.json') }, { file: join(a, 'adapter_model.safetensors') });
      const folder = await derivedModelFolder(
        'merged',
        await contentKey(parts),
        async (dir) => {
          await mergeLoraAdapter({
            base,
            adapter: adapters,
            out: dir,
            overwrite: true,
            ...(this.modelOptions.cacheDir !== undefined ? { cacheDir: this.modelOptions.cacheDir } : {}),
          });
        },
        this.modelOptions.cacheDir,
      );
      holder = new ModelHolder('sequence-classification', {
        ...this.modelOptions,
        model: folder,
        dtype: 'fp32',
        defaultModel: folder,
      });
    } else {
      holder = new ModelHolder('sequence-classification', this.baseModelOptions());
    }
    const h = await holder.get();
    if (!sessionOutputNames(h.model).includes('logits')) {
      await holder.release();
      throw new NotFittedError(
        this.name,
        `${this.modelOptions.model} has no classification head (no "logits" output): call fit(examples) to train a LoRA adapter and head, or pass adapters`,
      );
    }
    const labels = configLabels(h.config, numLabels(h.config));
    let botIndex: number;
    try {
      botIndex = botLabelIndex(labels, this.botLabel);
    } catch (err) {
      await holder.release();
      throw err;
    }
    return { holder, botIndex };
  }

  /** How the model loads when no adapter is merged into it. */
  private baseModelOptions(): AcquireModelOptions {
    return { ...this.modelOptions, defaultModel: this.modelOptions.model };
  }

  /**
   * Holds the load of the model this detector loads unfitted, until the returned release is called
   * (`holdModelLoad`): another detector with the same options then shares it, and gets a failed load's error
   * instead of trying again. For the start-up check that loads the model before the detector that scores.
   *
   * @internal
   */
  holdUnfittedLoad(): () => Promise<void> {
    return holdModelLoad('sequence-classification', this.baseModelOptions());
  }

  private ready(): Promise<{ holder: ModelHolder; botIndex: number }> {
    return this.preparing.get(() => this.prepare());
  }

  /** Loads (and merges) the model now instead of on the first detection. */
  async load(): Promise<void> {
    await this.ready();
  }

  /**
   * Judges the target speaker: P(bot) from the classifier. Abstains when the target wrote no text.
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel
   * @throws InvalidTranscriptError on bad input; ModelLoadError / AdapterError when the model or an adapter is
   *   broken; NotFittedError for a bare encoder without adapters
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    refuseUnknownDetectOptions(opts, 'detect', this.name); // named as detect(), not as the batch it runs
    return (await this.detectBatch([t], opts))[0]!;
  }

  /**
   * Judges many transcripts in batches of similar length.
   *
   * @param ts - the transcripts
   * @param opts - `signal`, checked between batches
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    const what = `${this.name} detect`;
    const { started, vs } = beginDetectBatch(this.name, ts, opts);
    const texts = vs.map(transcriptText);
    const idx = texts.map((x, i) => (x ? i : -1)).filter((i) => i >= 0);
    const out: Detection[] = vs.map((v) =>
      abstained(this.name, `"${v.target}" wrote no text, so there is nothing to classify.`, started),
    );
    if (idx.length === 0) return out;
    const { holder, botIndex } = await this.ready();
    const h = await holder.get();
    const T = await loadTransformers();
    const rows = encodeTexts(
      h.tokenizer,
      idx.map((i) => texts[i]!),
      { maxLength: this.maxLength },
    );
    const probs = await runEncodedBatches(
      T,
      h,
      rows,
      (res, _feeds, batch) => {
        const { data, dims } = floatData(res['logits'], 'logits');
        const C = dims[1]!;
        return batch.map((_, b) => softmaxAt(data, botIndex, b * C, C));
      },
      { ...this.batch, signal: opts.signal, what },
    );
    idx.forEach((i, j) => {
      const p = probs[j]!;
      const logOdds = Math.log(Math.max(p, 1e-12) / Math.max(1 - p, 1e-12));
      out[i] = scored(
        this.name,
        p,
        this.threshold,
        [
          {
            name: 'classifier_bot_probability',
            value: p,
            sentence: `The fine-tuned classifier${this.fitted || this.adapters.length > 0 ? ' (with LoRA)' : ''} reads the target's text as a bot with probability ${p.toFixed(2)}.`,
            contribution: logOdds,
          },
        ],
        started,
      );
    });
    return out;
  }

  /**
   * Trains a LoRA adapter and classification head on labelled transcripts (`trainLora` with the reference
   * recipe unless `training` says otherwise) and uses it from then on, in place of any `adapters`.
   *
   * @param examples - labelled transcripts with both classes
   * @param opts - `signal` to cancel
   */
  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    refuseUnknownDetectOptions(opts, 'fit', this.name);
    await this.train({ examples }, opts);
  }

  /**
   * Like {@link LoraClassifierDetector.fit} but on soft targets, P(bot) per transcript (distillation).
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
    refuseUnknownDetectOptions(opts, 'fitSoft', this.name);
    await this.train({ examples: transcripts, softTargets: targets }, opts);
  }

  private async train(
    data: { examples: readonly Transcript[]; softTargets?: readonly number[] },
    opts: DetectOptions,
  ): Promise<void> {
    const { onProgress: trainProgress, ...hyper } = this.training ?? {};
    const { onProgress: _loadProgress, ...modelOptions } = this.modelOptions;
    const res = await trainLora({
      ...modelOptions,
      ...DEFAULT_LORA_TRAINING,
      ...hyper,
      examples: data.examples,
      ...(data.softTargets ? { softTargets: data.softTargets } : {}),
      botLabel: this.botLabel,
      maxLength: this.maxLength,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(trainProgress ? { onProgress: trainProgress } : {}),
    });
    await this.releaseModel();
    this.trained = res.adapter;
  }

  private async releaseModel(): Promise<void> {
    const p = this.preparing.reset();
    if (p) {
      const r = await p.catch(() => undefined);
      await r?.holder.release();
    }
  }

  /** Settings, adapters and the fitted adapter (inline), for {@link LoraClassifierDetector.fromJSON}. */
  toJSON(): DetectorState {
    const fields = {
      botLabel: this.botLabel,
      maxLength: this.maxLength,
      // Absolute, so the state names the same adapter folders from any working directory.
      adapters: this.adapters.map((a) => absoluteDir(a)),
      trained: this.trained
        ? {
            config: this.trained.config,
            safetensors: Buffer.from(encodeSafetensors(this.trained.tensors)).toString('base64'),
          }
        : null,
    };
    return modelDetectorState(FORMAT, this, fields, { model: this.modelOptions });
  }

  /**
   * Restores a detector from {@link LoraClassifierDetector.toJSON} output. Models load on first use.
   *
   * @param state - the saved state
   * @param overrides - options that replace saved ones (e.g. `modelDir`, `offline`)
   * @throws InvalidOptionsError for a state of another kind or version
   */
  static fromJSON(state: DetectorState, overrides: LoraClassifierOptions = {}): LoraClassifierDetector {
    const saved = readModelDetectorOptions(state, FORMAT);
    const adapters = Array.isArray(state['adapters'])
      ? state['adapters'].filter((a): a is string => typeof a === 'string')
      : [];
    const botLabel = state['botLabel'];
    const d = new LoraClassifierDetector({
      ...saved,
      ...((typeof botLabel === 'string' || typeof botLabel === 'number') && { botLabel }),
      adapters,
      ...overrides,
    });
    const trained = state['trained'];
    if (trained && typeof trained === 'object' && !Array.isArray(trained)) {
      const t = trained as JsonObject;
      if (typeof t['safetensors'] !== 'string' || typeof t['config'] !== 'object' || t['config'] === null) {
        throw new InvalidOptionsError(
          'state.trained',
          'expected { config, safetensors } of a fitted adapter',
        );
      }
      const file = parseSafetensors(Buffer.from(t['safetensors'], 'base64'), 'state.trained');
      d.trained = {
        config: t['config'] as JsonObject,
        tensors: Object.fromEntries([...file.tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data }])),
      };
    }
    return d;
  }

  /** Releases the model. */
  async dispose(): Promise<void> {
    await this.releaseModel();
  }
}

function numLabels(config: Record<string, unknown>): number {
  const id2label = config['id2label'];
  if (id2label && typeof id2label === 'object') return Object.keys(id2label).length;
  return typeof config['num_labels'] === 'number' ? (config['num_labels'] as number) : 2;
}

/** The output names of a transformers.js model's main ONNX session. */
function sessionOutputNames(model: unknown): string[] {
  const sessions = (model as { sessions?: Record<string, { outputNames?: string[] }> }).sessions;
  const sess = sessions?.['model'] ?? (sessions ? Object.values(sessions)[0] : undefined);
  return sess?.outputNames ?? [];
}
