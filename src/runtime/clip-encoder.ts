import type { RawImage, Tensor } from '@huggingface/transformers';
import { describeValue } from '../core/describe-value.js';
import type { DetectOptions } from '../core/detector.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { defaultModelFor } from '../zoo/model-zoo.js';
import { BATCH_PLAN_OPTION_KEYS, type BatchPlanOptions, checkBatchSize, mapInBatches } from './batching.js';
import { embedTextBatches } from './embed-text-batches.js';
import { type ImageInput, loadImage, type ReadImageOptions } from './image-input.js';
import { loadTransformers } from './load-model.js';
import { ModelHolder } from './model-holder.js';
import { MODEL_OPTION_KEYS, type ModelOptions, offlineFromEnv } from './model-options.js';
import { floatData, normalizeInPlace } from './tensor-data.js';

/** Every key of {@link ClipEncoderOptions}: `new ClipEncoder()` refuses any other. */
const CLIP_ENCODER_OPTION_KEYS: OptionKeys<ClipEncoderOptions> = {
  ...MODEL_OPTION_KEYS,
  ...BATCH_PLAN_OPTION_KEYS,
  normalize: true,
  maxLength: true,
  imageOptions: true,
};

/** Options for the CLIP encoder (`ClipEncoder`). */
export interface ClipEncoderOptions extends ModelOptions, BatchPlanOptions {
  /**
   * Scale embeddings to unit length (so a dot product is a cosine). `false` returns the raw projections
   * (`text_embeds` / `image_embeds`).
   * @defaultValue true
   */
  normalize?: boolean;
  /**
   * Most tokens per text; longer texts are cut at the end (special tokens kept). CLIP takes 77.
   * @defaultValue the model's limit (`text_config.max_position_embeddings`)
   */
  maxLength?: number;
  /**
   * How images are read (download timeout, size limit, fetch). `offline` follows the model's `offline`.
   * @defaultValue {}
   */
  imageOptions?: Omit<ReadImageOptions, 'offline' | 'signal'>;
}

/**
 * CLIP text and image embeddings in one space (text and vision towers with projections, e.g.
 * `Xenova/clip-vit-base-patch32`). Images are paths, `file:`/`data:` URLs, bytes, or `http(s)` URLs (not when
 * offline), decoded with the transformers.js image loader and the model's image processor.
 *
 * @example
 * ```ts
 * const clip = new ClipEncoder();
 * const [t] = await clip.embedText(['a cartoon robot avatar']);
 * const [i] = await clip.embedImage(['./avatar.png']);
 * let cos = 0;
 * for (let k = 0; k < t.length; k++) cos += t[k] * i[k];
 * await clip.dispose();
 * ```
 */
export class ClipEncoder {
  /** Whether embeddings are unit length. */
  readonly normalize: boolean;
  private readonly holder: ModelHolder;
  private readonly batch: BatchPlanOptions;
  private readonly maxLength: number | undefined;
  private readonly imageOptions: ReadImageOptions;

  /** @param options - model, batching and image options; see {@link ClipEncoderOptions} */
  constructor(options: ClipEncoderOptions = {}) {
    refuseUnknownKeys(options, CLIP_ENCODER_OPTION_KEYS, 'the options of new ClipEncoder()');
    const { normalize, maxLength, batchSize, maxBatchTokens, imageOptions, ...modelOptions } = options;
    checkBatchSize('batchSize', batchSize);
    if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 2)) {
      throw new InvalidOptionsError('maxLength', `expected an integer >= 2, got ${describeValue(maxLength)}`);
    }
    this.normalize = normalize ?? true;
    this.maxLength = maxLength;
    this.batch = {
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(maxBatchTokens !== undefined ? { maxBatchTokens } : {}),
    };
    this.holder = new ModelHolder('clip', { ...modelOptions, defaultModel: defaultModelFor('clip').id });
    const offline = modelOptions.modelDir !== undefined || (modelOptions.offline ?? offlineFromEnv());
    this.imageOptions = { ...imageOptions, offline };
  }

  /** The model as configured (hub id or folder). */
  get modelName(): string {
    return this.holder.modelName;
  }

  /** A short, path-free model name (hub id, or a folder's base name). */
  get shortName(): string {
    return this.holder.shortName;
  }

  /** Whether `http(s)` images are refused (the model options are offline). */
  get offline(): boolean {
    return this.imageOptions.offline === true;
  }

  /** Loads both towers now (otherwise the first call does). */
  async load(): Promise<void> {
    await this.holder.get();
  }

  /**
   * Text embeddings, one per text, in input order (batched by length).
   *
   * @param texts - the texts
   * @param opts - an abort signal, checked between batches
   */
  async embedText(texts: string[], opts: DetectOptions = {}): Promise<Float32Array[]> {
    return embedTextBatches(this.holder, texts, (out) => this.rows(out['text_embeds'], 'text_embeds'), {
      ...this.batch,
      maxLength: this.maxLength,
      signal: opts.signal,
      what: 'CLIP text embedding',
    });
  }

  /**
   * Image embeddings, one per image, in input order.
   *
   * @param images - paths, URLs, data URLs or encoded bytes (or already decoded `RawImage`s)
   * @param opts - an abort signal
   * @throws ImageLoadError when an image cannot be read or decoded
   */
  async embedImage(images: (ImageInput | RawImage)[], opts: DetectOptions = {}): Promise<Float32Array[]> {
    if (!Array.isArray(images)) throw new InvalidOptionsError('images', 'expected an array of images');
    AbortedError.throwIfAborted(opts.signal, 'CLIP image embedding');
    if (images.length === 0) return [];
    const h = await this.holder.get();
    const T = await loadTransformers();
    const vision = h.clipVision;
    const processor = h.processor;
    if (!vision || !processor) {
      throw new ModelLoadError(this.modelName, `"${this.modelName}" was loaded without its vision tower.`);
    }
    const readOpts: ReadImageOptions = {
      ...this.imageOptions,
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
    return mapInBatches(
      images.map(() => 1),
      async (idx) => {
        const decoded = await Promise.all(
          idx.map((i) => {
            const img = images[i]!;
            return img instanceof T.RawImage ? img : loadImage(img as ImageInput, readOpts);
          }),
        );
        AbortedError.throwIfAborted(opts.signal, 'CLIP image embedding');
        const inputs = (await processor(decoded)) as Record<string, Tensor>;
        const out = (await vision({ pixel_values: inputs['pixel_values'] })) as Record<string, Tensor>;
        return this.rows(out['image_embeds'], 'image_embeds');
      },
      { batchSize: this.batch.batchSize ?? 16, signal: opts.signal, what: 'CLIP image embedding' },
    );
  }

  private rows(t: Tensor | undefined, what: string): Float32Array[] {
    const { data, dims } = floatData(t, what);
    const [n, d] = dims as [number, number];
    const out: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      const v = data.slice(i * d, i * d + d);
      out.push(this.normalize ? normalizeInPlace(v) : v);
    }
    return out;
  }

  /** Releases both towers (shared models are freed when their last user releases them). */
  async dispose(): Promise<void> {
    await this.holder.release();
  }
}
