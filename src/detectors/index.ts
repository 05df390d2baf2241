/**
 * `botlens/detectors`: the model-backed detectors, their options, and the embedders the embedding detector
 * stands on. Importing this module loads no model code: ONNX Runtime and transformers.js are imported when a
 * model is first needed.
 *
 * @example
 * ```ts
 * import { NliZeroShotDetector } from 'botlens/detectors';
 * const nli = new NliZeroShotDetector({ model: 'Xenova/bart-large-mnli', dtype: 'q8' });
 * const d = await nli.detect(transcript);
 * ```
 *
 * @module botlens/detectors
 */

// Options shared by every model-backed detector
export type { BatchPlanOptions } from '../runtime/batching.js';
// Embedders
export type { Embedder } from '../runtime/embedder.js';
export { HashingEmbedder, type HashingEmbedderOptions } from '../runtime/hashing-embedder.js';
export { type LoadedModelInfo, loadedModels } from '../runtime/load-model.js';
export type { LoadProgress, ModelOptions } from '../runtime/model-options.js';
export {
  type Pooling,
  TransformersEmbedder,
  type TransformersEmbedderOptions,
} from '../runtime/transformers-embedder.js';
// The detectors
export { ClipConsistencyDetector } from './clip/clip-consistency-detector.js';
export type { ClipConsistencyOptions } from './clip/clip-options.js';
export { EmbeddingCentroidDetector } from './embedding/embedding-centroid-detector.js';
export type {
  EmbeddingCentroidOptions,
  EmbeddingHnswOptions,
  EmbeddingRareBucketOptions,
} from './embedding/options.js';
export type { FewShotPrompt, FewShotPromptOptions, FewShotScoring } from './few-shot/few-shot-options.js';
export { FewShotPromptDetector } from './few-shot/few-shot-prompt-detector.js';
export type { AnswerWords } from './few-shot/prompt-format.js';
// Detectors that fit on an embedder's vectors
export {
  LinearProbeDetector,
  type LinearProbeOptions,
} from './linear-probe/linear-probe-detector.js';
export { LoraClassifierDetector } from './lora/lora-classifier-detector.js';
export type { LoraClassifierOptions, LoraTrainingOptions } from './lora/lora-options.js';
export type {
  NliAnalysis,
  NliHypotheses,
  NliLabelWords,
  NliWindowScore,
  NliZeroShotOptions,
} from './nli/nli-options.js';
export { NliZeroShotDetector } from './nli/nli-zero-shot-detector.js';
export { PerplexityDiversityDetector } from './perplexity/perplexity-diversity-detector.js';
export {
  PERPLEXITY_FEATURES,
  type PerplexityDiversityOptions,
  type PerplexityFeature,
  type PerplexityUnit,
} from './perplexity/perplexity-options.js';
