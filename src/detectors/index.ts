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
 * @module
 */

// Detectors that fit on an embedder's vectors
export { LinearProbeDetector, type LinearProbeOptions } from '../peft/linear-probe.js';
// Options shared by every model-backed detector
export type { BatchPlanOptions } from '../runtime/batching.js';
export type { CausalLmScorerOptions } from '../runtime/causal-lm-scorer.js';
export type { ClipEncoder, ClipEncoderOptions } from '../runtime/clip-encoder.js';
// Embedders
export type { Embedder } from '../runtime/embedder.js';
export { HashingEmbedder, type HashingEmbedderOptions } from '../runtime/hashing-embedder.js';
export type { ImageInput, ReadImageOptions } from '../runtime/image-input.js';
export { type LoadedModelInfo, loadedModels } from '../runtime/load-model.js';
export type { LoadProgress, ModelOptions } from '../runtime/model-options.js';
export type { NliLabelInfo, NliPair, NliScorer, NliScorerOptions } from '../runtime/nli-scorer.js';
export {
  type Pooling,
  TransformersEmbedder,
  type TransformersEmbedderOptions,
} from '../runtime/transformers-embedder.js';
export type { LexicalDiversity, LexicalDiversityOptions } from '../text/lexical-diversity.js';
// The detectors
export {
  type ClipCalibration,
  ClipConsistencyDetector,
  type ClipConsistencyOptions,
} from './clip-consistency.js';
export {
  EmbeddingCentroidDetector,
  type EmbeddingCentroidOptions,
  type EmbeddingHnswOptions,
} from './embedding-centroid.js';
export {
  type FewShotPrompt,
  FewShotPromptDetector,
  type FewShotPromptOptions,
  type FewShotScoring,
} from './few-shot-prompt.js';
export {
  DEFAULT_LORA_TRAINING,
  LoraClassifierDetector,
  type LoraClassifierOptions,
  type LoraTrainingOptions,
} from './lora-classifier.js';
export {
  type NliAnalysis,
  type NliCalibration,
  type NliHypotheses,
  type NliLabelWords,
  type NliWindow,
  type NliWindowScore,
  NliZeroShotDetector,
  type NliZeroShotOptions,
} from './nli-zero-shot.js';
export {
  DEFAULT_PERPLEXITY_COMBINATION,
  type LmFigures,
  PERPLEXITY_FEATURES,
  PerplexityDiversityDetector,
  type PerplexityDiversityFeatures,
  type PerplexityDiversityOptions,
  type PerplexityFeature,
  type PerplexityUnit,
  type SignalPrior,
} from './perplexity-diversity.js';
export type { AnswerWords, FittedPrompt, PromptExample, PromptParts } from './prompt-format.js';
export type { ScalarCalibration } from './scalar-calibration.js';
