/**
 * `botlens/detectors`: the model-backed detectors and the building blocks they stand on (model loading,
 * embedders, NLI, CLIP and causal-LM scorers). Importing this module loads no model code: ONNX Runtime and
 * transformers.js are imported when a model is first needed.
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

// Nearest-neighbour search (used by the embedding detector's kNN evidence)
export { ExactSearch, type ExactSearchOptions } from '../ann/exact-search.js';
export { HNSW_DEFAULTS, HnswIndex, type HnswIndexOptions } from '../ann/hnsw-index.js';
export type { Neighbor, VectorIndex, VectorSearchOptions } from '../ann/vector-index.js';
export type { CompactVector, SparseVector } from '../ann/vector-math.js';
export { ImageLoadError } from '../errors/image-load-error.js';
export { type BatchPlanOptions, mapInBatches, planBatches } from '../runtime/batching.js';
export { type CachedModelFolderOptions, cachedModelFolder, resolveCacheDir } from '../runtime/cache-dir.js';
export type {
  CandidateScores,
  CausalLmScorerOptions,
  CrossScores,
  TextScores,
  TokenLogprobs,
  TokenScores,
} from '../runtime/causal-lm/causal-lm-types.js';
export { assertSameVocabulary } from '../runtime/causal-lm/vocabulary.js';
export { CausalLmScorer } from '../runtime/causal-lm-scorer.js';
export { ClipEncoder, type ClipEncoderOptions } from '../runtime/clip-encoder.js';
export { type ImageInput, loadImage, type ReadImageOptions, readImageBytes } from '../runtime/image-input.js';
// Model runtime
export {
  type AcquireModelOptions,
  acquireModel,
  isLocalModelPath,
  type LoadedModelInfo,
  loadedModels,
  loadTransformers,
  type ModelHandle,
  type ModelTask,
  type ResolvedLocation,
  resolveModelLocation,
  type Transformers,
} from '../runtime/load-model.js';
export { MODEL_TASKS, onnxFileFor, requiredModelFiles } from '../runtime/model-files.js';
export {
  deserializeModelOptions,
  type LoadProgress,
  MODEL_DEVICES,
  MODEL_DTYPES,
  type ModelDevice,
  type ModelDtype,
  type ModelOptions,
  type ModelRelocation,
  offlineFromEnv,
  relocateModelOptions,
  type SerializedModelOptions,
  serializeModelOptions,
  validateModelOptions,
} from '../runtime/model-options.js';
export {
  entailmentProbability,
  type NliLabelInfo,
  type NliPair,
  NliScorer,
  type NliScorerOptions,
  nliLabelIndices,
} from '../runtime/nli-scorer.js';
export { cosine } from '../runtime/tensor-data.js';
// Building blocks
export {
  type Pooling,
  TransformersEmbedder,
  type TransformersEmbedderOptions,
} from '../runtime/transformers-embedder.js';
export {
  compressionRatio,
  distinctN,
  type LexicalDiversity,
  type LexicalDiversityOptions,
  lexicalDiversity,
  movingAverageTtr,
  selfRepetition,
  typeTokenRatio,
} from '../text/lexical-diversity.js';
export { ngrams, wordTokens } from '../text/tokenize.js';
export { ClipConsistencyDetector } from './clip/clip-consistency-detector.js';
// Detectors
export type { ClipCalibration, ClipConsistencyOptions } from './clip/clip-options.js';
export { EmbeddingCentroidDetector } from './embedding/embedding-centroid-detector.js';
export type { EmbeddingCentroidOptions, EmbeddingHnswOptions } from './embedding/options.js';
export type { FewShotPrompt, FewShotPromptOptions, FewShotScoring } from './few-shot/few-shot-options.js';
export { FewShotPromptDetector } from './few-shot/few-shot-prompt-detector.js';
export {
  type AnswerWords,
  CHAT_QUESTION,
  type ChatMessage,
  chatMessages,
  DEFAULT_INSTRUCTION,
  type DialogueFormatOptions,
  dialogueLines,
  type FitPromptOptions,
  type FittedPrompt,
  fitPromptToBudget,
  type PromptExample,
  type PromptParts,
  renderPlainPrompt,
  TARGET_NAME,
} from './few-shot/prompt-format.js';
export { LoraClassifierDetector } from './lora/lora-classifier-detector.js';
export {
  DEFAULT_LORA_TRAINING,
  type LoraClassifierOptions,
  type LoraTrainingOptions,
} from './lora/lora-options.js';
export type {
  NliAnalysis,
  NliCalibration,
  NliHypotheses,
  NliLabelWords,
  NliWindow,
  NliWindowScore,
  NliZeroShotOptions,
} from './nli/nli-options.js';
export { NliZeroShotDetector } from './nli/nli-zero-shot-detector.js';
export { PerplexityDiversityDetector } from './perplexity/perplexity-diversity-detector.js';
export {
  DEFAULT_PERPLEXITY_COMBINATION,
  type LmFigures,
  PERPLEXITY_FEATURES,
  type PerplexityDiversityFeatures,
  type PerplexityDiversityOptions,
  type PerplexityFeature,
  type PerplexityUnit,
  type SignalPrior,
} from './perplexity/perplexity-options.js';
export type { ScalarCalibration } from './scalar-calibration.js';
