import { describeValue } from '../core/describe-value.js';
import type { DetectOptions } from '../core/detector.js';
import { refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { defaultModelFor } from '../zoo/model-zoo.js';
import { type BatchPlanOptions, checkBatchSize } from './batching.js';
import { embedTextBatches } from './embed-text-batches.js';
import type { Embedder } from './embedder.js';
import { recordModelSource, transformersEmbedderSource } from './embedder-source.js';
import { ModelHolder } from './model-holder.js';
import { ModelLifetime } from './model-lifetime.js';
import { poolTokens } from './pool-tokens.js';
import { floatData } from './tensor-data.js';
import {
  type Pooling,
  TRANSFORMERS_EMBEDDER_OPTION_KEYS,
  type TransformersEmbedderOptions,
} from './transformers-embedder-options.js';

export type { Pooling, TransformersEmbedderOptions };

/**
 * Sentence embeddings from a transformer encoder (ONNX, through transformers.js): batched, mean-pooled and
 * normalized. Texts are sorted by token length and run in batches of similar length (less padding), then
 * returned in input order. The model loads on the first `embed` and is shared with any other component that
 * uses the same model, dtype and task.
 *
 * @example
 * ```ts
 * const embedder = new TransformersEmbedder({ model: 'Xenova/e5-small-v2', dtype: 'q8' });
 * const [a, b] = await embedder.embed(['hi there!', 'hello!']);
 * let cos = 0;
 * for (let i = 0; i < a.length; i++) cos += a[i] * b[i]; // unit vectors: dot = cosine
 * await embedder.dispose();
 * ```
 */
export class TransformersEmbedder implements Embedder {
  /** Identifies the model and settings, e.g. `transformers:Xenova/e5-small-v2:fp32:mean:norm:prefix="query: "`. */
  readonly id: string;
  /** The prefix put before every text. */
  readonly prefix: string;
  /** Whether vectors are unit length. */
  readonly normalize: boolean;
  /** The pooling. */
  readonly pooling: Pooling;
  private readonly holder: ModelHolder;
  private readonly batch: BatchPlanOptions;
  private readonly maxLength: number | undefined;
  /** Ended by `dispose()`: an embed in flight stops at its next batch; a later one loads the model again. */
  private readonly lifetime = new ModelLifetime('Embedding (the embedder was disposed)', { renewable: true });

  /** @param options - model, batching and pooling options; see {@link TransformersEmbedderOptions} */
  constructor(options: TransformersEmbedderOptions = {}) {
    refuseUnknownKeys(
      options,
      TRANSFORMERS_EMBEDDER_OPTION_KEYS,
      'the options of new TransformersEmbedder()',
    );
    const { prefix, normalize, pooling, maxLength, batchSize, maxBatchTokens, ...modelOptions } = options;
    checkBatchSize('batchSize', batchSize);
    if (pooling !== undefined && pooling !== 'mean' && pooling !== 'cls') {
      throw new InvalidOptionsError('pooling', `got ${describeValue(pooling)}; use "mean" or "cls"`);
    }
    if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 2)) {
      throw new InvalidOptionsError('maxLength', `expected an integer >= 2, got ${describeValue(maxLength)}`);
    }
    if (prefix !== undefined && typeof prefix !== 'string') {
      throw new InvalidOptionsError('prefix', 'expected a string');
    }
    this.holder = new ModelHolder('feature-extraction', {
      ...modelOptions,
      defaultModel: defaultModelFor('embedding').id,
    });
    this.prefix = prefix ?? (/e5/i.test(this.holder.modelName) ? 'query: ' : '');
    this.normalize = normalize ?? true;
    this.pooling = pooling ?? 'mean';
    this.maxLength = maxLength;
    this.batch = {
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(maxBatchTokens !== undefined ? { maxBatchTokens } : {}),
    };
    const dtype = modelOptions.dtype ?? 'fp32';
    // Fitted state records where the model came from, not just the id's short name (see embedder-source.ts).
    recordModelSource(this, transformersEmbedderSource(modelOptions));
    this.id = [
      'transformers',
      this.holder.shortName,
      dtype,
      this.pooling,
      this.normalize ? 'norm' : 'raw',
      ...(this.prefix ? [`prefix=${JSON.stringify(this.prefix)}`] : []),
    ].join(':');
  }

  /** Loads the model now (otherwise the first `embed` does). */
  async load(): Promise<void> {
    await this.lifetime.run(undefined, () => this.holder.get());
  }

  /**
   * Embeds texts: one vector per text, in input order.
   *
   * @param texts - the texts (the prefix is added here)
   * @param opts - an abort signal, checked between batches
   * @throws ModelLoadError when the model cannot be loaded
   * @throws AbortedError when aborted, or when the embedder was disposed while it ran
   */
  async embed(texts: string[], opts: DetectOptions = {}): Promise<Float32Array[]> {
    const prefixed = Array.isArray(texts)
      ? texts.map((t) => (typeof t === 'string' ? this.prefix + t : t))
      : texts;
    return this.lifetime.run(opts.signal, (signal) => this.embedBatches(prefixed, signal));
  }

  private embedBatches(prefixed: string[], signal: AbortSignal): Promise<Float32Array[]> {
    return embedTextBatches(
      this.holder,
      prefixed,
      (out, feeds) => {
        const hidden = out['last_hidden_state'] ?? out['token_embeddings'] ?? Object.values(out)[0];
        const { data, dims } = floatData(hidden, 'last_hidden_state');
        return poolTokens(
          data,
          dims,
          feeds['attention_mask']!.data as BigInt64Array,
          this.pooling,
          this.normalize,
        );
      },
      {
        ...this.batch,
        maxLength: this.maxLength,
        tokenizerPadding: true,
        signal,
        what: 'embedding',
      },
    );
  }

  /**
   * Releases the model (shared models are freed when their last user releases them). An embed in flight rejects
   * with `AbortedError` at its next batch, and the model is released once it has settled (the batch running
   * finishes first, so the model is never freed under it). The embedder stays usable: a later `embed` loads the
   * model again (one that comes while `dispose()` waits starts after it).
   */
  async dispose(): Promise<void> {
    await this.lifetime.end(() => this.holder.release());
  }
}
