import type { OptionKeys } from '../core/refuse-unknown-keys.js';
import { BATCH_PLAN_OPTION_KEYS } from './batching.js';
import { MODEL_OPTION_KEYS } from './model-options.js';
import type { TransformersEmbedderOptions } from './transformers-embedder.js';

/**
 * Every key of `TransformersEmbedderOptions`: `new TransformersEmbedder()` refuses any other, and so does the
 * embedding detector for its `embedderOptions` when it is built (not only once the embedder is created on first
 * use). In a module of its own, so the detector checks them without loading the embedder's module.
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
