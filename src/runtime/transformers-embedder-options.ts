import type { OptionKeys } from '../core/refuse-unknown-keys.js';
import { BATCH_PLAN_OPTION_KEYS, type BatchPlanOptions } from './batching.js';
import { MODEL_OPTION_KEYS, type ModelOptions } from './model-options.js';

/** How token vectors become one text vector. */
export type Pooling = 'mean' | 'cls';

/** Options for `TransformersEmbedder` (botlens/detectors). */
export interface TransformersEmbedderOptions extends ModelOptions, BatchPlanOptions {
  /**
   * Text put before every input. E5 models are trained with `"query: "` / `"passage: "` prefixes and give
   * worse vectors without one.
   * @defaultValue `"query: "` when the model id contains `e5` (any case), else `""`
   */
  prefix?: string;
  /**
   * Scale every vector to unit length (so a dot product is a cosine).
   * @defaultValue true
   */
  normalize?: boolean;
  /**
   * `mean`: average of the token vectors weighted by the attention mask (padding ignored), as
   * sentence-transformers does; `cls`: the first token's vector.
   * @defaultValue 'mean'
   */
  pooling?: Pooling;
  /**
   * Most tokens per text; longer texts are cut at the end (special tokens kept).
   * @defaultValue the model's limit (tokenizer `model_max_length` / config `max_position_embeddings`)
   */
  maxLength?: number;
}

/**
 * Every key of `TransformersEmbedderOptions`: `new TransformersEmbedder()` refuses any other, and so does the
 * embedding detector for its `embedderOptions` when it is built (not only once the embedder is created on first
 * use). In a module of its own (with the options type), so the detector checks them without loading the embedder's module.
 *
 * @internal
 */
export const TRANSFORMERS_EMBEDDER_OPTION_KEYS: OptionKeys<TransformersEmbedderOptions> = {
  ...MODEL_OPTION_KEYS,
  ...BATCH_PLAN_OPTION_KEYS,
  prefix: true,
  normalize: true,
  pooling: true,
  maxLength: true,
};
