/**
 * botlens: tell bots from humans in chat transcripts.
 *
 * The main entry point: the transcript model, the `Detector` contract, the heuristic detector, ensembles,
 * calibration, evaluation, the model zoo and every error class. Model-backed detectors live in
 * `botlens/detectors`; LoRA adapters in `botlens/peft`; quantization in `botlens/quant`; model selection in
 * `botlens/select`; the conformance suite in `botlens/testing`; the HTTP service in `botlens/server`.
 *
 * The public surface is recorded in `etc/*.api.md` (API Extractor); anything not exported here or from a
 * subpath entry point is internal and may change in any release.
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

// The detector contract
export { abstained, nowMs, scored } from './core/detection.js';
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
// Vocabulary: model weight variants and devices
export { MODEL_DEVICES, type ModelDevice } from './core/model-devices.js';
export { MODEL_DTYPES, type ModelDtype } from './core/model-dtypes.js';
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
// Reading transcripts
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
// The heuristic detector
export {
  type CompleteHeuristicWeights,
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
} from './detectors/heuristic/index.js';
export {
  createDetector,
  createEnsemble,
  detectorFromFile,
  detectorFromState,
} from './detectors/registry.js';
// Calibration
export {
  type CalibrateOptions,
  calibrateThreshold,
  type ThresholdCalibration,
} from './ensemble/calibrate.js';
// Ensembles
export {
  Ensemble,
  type EnsembleCalibrateOptions,
  type EnsembleCalibration,
  type EnsembleFromJsonOptions,
} from './ensemble/ensemble.js';
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
// Errors: every class botlens throws, and the codes they carry
export { AbortedError } from './errors/aborted-error.js';
export { AdapterError, type AdapterErrorCode } from './errors/adapter-error.js';
export { BotlensError } from './errors/botlens-error.js';
export { DetectionTimeoutError } from './errors/detection-timeout-error.js';
export { BOTLENS_ERROR_CODES, type BotlensErrorCode } from './errors/error-codes.js';
export { HubError, type HubErrorDetails, type HubErrorKind } from './errors/hub-error.js';
export { ImageLoadError } from './errors/image-load-error.js';
export { InvalidOptionsError } from './errors/invalid-options-error.js';
export { InvalidTranscriptError, type TranscriptIssue } from './errors/invalid-transcript-error.js';
export { MissingDependencyError } from './errors/missing-dependency-error.js';
export { ModelLoadError } from './errors/model-load-error.js';
export { NotFittedError } from './errors/not-fitted-error.js';
export { QueueFullError } from './errors/queue-full-error.js';
// Evaluation
export {
  type EvaluateOptions,
  type EvaluateProgress,
  type EvaluationReport,
  evaluateDetector,
} from './eval/evaluate.js';
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
// The model zoo
export {
  defaultModelFor,
  MODEL_ZOO,
  ZOO_DETECTORS,
  type ZooDetector,
  type ZooEntry,
  type ZooModelId,
  type ZooTask,
} from './zoo/model-zoo.js';
