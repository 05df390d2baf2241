/**
 * botlens: tell bots from humans in chat transcripts.
 *
 * The main entry point: the transcript model, the `Detector` contract, the heuristic detector, ensembles,
 * evaluation, the model zoo and the error classes. Model-backed detectors live in `botlens/detectors`; LoRA
 * adapters in `botlens/peft`; quantization in `botlens/quant`; model selection in `botlens/select`; the
 * conformance suite in `botlens/testing`; the HTTP service in `botlens/server`.
 *
 * @example
 * ```ts
 * import { HeuristicDetector } from 'botlens';
 * const d = await new HeuristicDetector().detect({
 *   target: 'b',
 *   messages: [{ speaker: 'a', text: 'hi!' }, { speaker: 'b', text: 'Hello ! How are you ?' }],
 * });
 * console.log(d.score, d.label);
 * ```
 *
 * @module
 */

export { abstained, nowMs, scored } from './core/detection.js';
// The detector contract
export type {
  Detection,
  DetectionStream,
  DetectionSupport,
  DetectOptions,
  Detector,
  DetectorState,
  Evidence,
  StreamOptions,
} from './core/detector.js';
export type { JsonObject, JsonValue } from './core/json.js';
// Transcript model and validation
export type {
  Label,
  LabelledTranscript,
  Message,
  Profile,
  Transcript,
  ValidMessage,
  ValidTranscript,
} from './core/transcript.js';
export {
  DEFAULT_LIMITS,
  targetMessages,
  type ValidationLimits,
  validateTranscript,
} from './core/validate.js';
// Data
export {
  parseTranscriptsJsonl,
  type ReadJsonlOptions,
  readTranscriptJson,
  readTranscriptsJsonl,
} from './data/read-transcripts.js';
// Building detectors from specs and saved state
export {
  DETECTOR_TYPES,
  type DetectorSpec,
  type DetectorType,
  type EnsembleSpec,
} from './detectors/detector-spec.js';
// Heuristic detector
export {
  type CompleteHeuristicWeights,
  computeStyleFeatures,
  DEFAULT_HEURISTIC_WEIGHTS,
  type FeatureWeight,
  HeuristicDetector,
  type HeuristicDetectorOptions,
  type HeuristicWeights,
  STYLE_FEATURE_NAMES,
  type StyleCounts,
  type StyleFeatureName,
  type StyleFeatureOptions,
  type StyleFeatures,
  TEXT_FEATURE_NAMES,
  TIMING_FEATURE_NAMES,
} from './detectors/heuristic/index.js';
export {
  createDetector,
  createEnsemble,
  detectorFromFile,
  detectorFromState,
} from './detectors/registry.js';
export {
  type CalibrateOptions,
  calibrateThreshold,
  type ThresholdCalibration,
} from './ensemble/calibrate.js';
// Ensembles and calibration
export {
  Ensemble,
  type EnsembleCalibrateOptions,
  type EnsembleCalibration,
  type EnsembleFromJsonOptions,
} from './ensemble/ensemble.js';
export { stratifiedFolds } from './ensemble/folds.js';
export { isMemberFailure } from './ensemble/run-members.js';
export {
  ENSEMBLE_STRATEGIES,
  type EnsembleOptions,
  type EnsembleResult,
  type EnsembleState,
  type EnsembleStrategy,
  type MemberError,
  type MemberFailure,
  type MemberOutcome,
  type SerializedCombiner,
  type UnserializedMemberState,
} from './ensemble/types.js';
// Errors
export { AbortedError } from './errors/aborted-error.js';
export { AdapterError, type AdapterErrorCode } from './errors/adapter-error.js';
export { BotlensError } from './errors/botlens-error.js';
export { HubError, type HubErrorDetails, type HubErrorKind } from './errors/hub-error.js';
export { InvalidOptionsError } from './errors/invalid-options-error.js';
export { InvalidTranscriptError, type TranscriptIssue } from './errors/invalid-transcript-error.js';
export { ModelLoadError } from './errors/model-load-error.js';
export { NotFittedError } from './errors/not-fitted-error.js';
export {
  type EvaluateOptions,
  type EvaluateProgress,
  type EvaluationReport,
  evaluateDetector,
} from './eval/evaluate.js';
// Evaluation
export {
  auroc,
  type ComputeMetricsOptions,
  type ConfusionCounts,
  computeMetrics,
  confusionCounts,
  expectedCalibrationError,
  type Metrics,
  tprAtFpr,
} from './eval/metrics.js';

// Numerics
export {
  decision,
  fitLogisticRegression,
  type LogisticModel,
  type LogisticRegressionOptions,
  logit,
  predictProba,
  sigmoid,
} from './numeric/logistic-regression.js';
export { seededRandom } from './numeric/random.js';
export type { Embedder } from './runtime/embedder.js';
export { HashingEmbedder, type HashingEmbedderOptions } from './runtime/hashing-embedder.js';
// Model zoo
export {
  defaultModelFor,
  MODEL_ZOO,
  ZOO_DETECTORS,
  type ZooDetector,
  type ZooDtype,
  type ZooEntry,
  type ZooModelId,
  type ZooTask,
} from './zoo/model-zoo.js';
