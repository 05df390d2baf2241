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
 * @module botlens
 */

export { assertDetection } from './core/assert-detection.js';
export type { DeepReadonly } from './core/deep-readonly.js';
// The detector contract
export { abstained, nowMs, scored } from './core/detection.js';
export {
  DETECTOR_SPECIFICATION_VERSION,
  type Detection,
  type DetectionStream,
  type DetectionSupport,
  type DetectOptions,
  type Detector,
  type DetectorSpecificationVersion,
  type DetectorState,
  type Evidence,
  type StreamOptions,
} from './core/detector.js';
export type { JsonObject, JsonValue } from './core/json.js';
// Vocabulary: model weight variants and devices
export { MODEL_DEVICES, type ModelDevice } from './core/model-devices.js';
export { MODEL_DTYPES, type ModelDtype } from './core/model-dtypes.js';
// Streaming: verdicts that update message by message
export { openStream } from './core/stream.js';
export { detectTimeline, type TimelineOptions, type TimelinePoint } from './core/timeline.js';
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
  type JsonlRecord,
  parseTranscriptsJsonl,
  type ReadJsonlOptions,
  readTranscriptJson,
  readTranscriptsJsonl,
} from './data/read-transcripts.js';
export { limitTranscript, type TranscriptLimitOptions, truncatedFrom } from './data/transcript-limits.js';
// Building detectors from specs and saved state; describing and registering detector types
export {
  type DetectorCliFlag,
  type DetectorCreateContext,
  type DetectorDescriptor,
  type DetectorLoadOptions,
  type DetectorRestoreContext,
  defineDetector,
} from './detectors/descriptor.js';
export {
  type RegisterDetectorOptions,
  registerDetector,
  registeredDetectorTypes,
} from './detectors/detector-registry.js';
export {
  DETECTOR_TYPES,
  type DetectorSpec,
  type DetectorType,
  type EnsembleSpec,
} from './detectors/detector-spec.js';
export {
  ENSEMBLE_PRESET_NAMES,
  ENSEMBLE_PRESETS,
  type EnsemblePreset,
  type EnsemblePresetName,
  ensemblePresetSpec,
} from './detectors/ensemble-presets.js';
// The heuristic detector
export {
  type CompleteHeuristicWeights,
  type FeatureWeight,
  HeuristicDetector,
  type HeuristicDetectorOptions,
  type HeuristicWeights,
  STYLE_FEATURE_NAMES,
  type StyleFeatureName,
  type StyleFeatureOptions,
} from './detectors/heuristic/index.js';
export {
  PartnerContrastDetector,
  type PartnerContrastDetectorOptions,
} from './detectors/heuristic/partner-contrast-detector.js';
export {
  type CreateDetectorOptions,
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
  type EnsembleDisposeOptions,
  type EnsembleFitOptions,
  type EnsembleOptions,
  type EnsembleResult,
  type EnsembleState,
  type EnsembleStrategy,
  type MemberFailure,
  type MemberOutcome,
  type NoveltyMode,
  type NoveltyState,
  type SerializedCombiner,
} from './ensemble/types.js';
// Errors: every class botlens throws, and the codes they carry
export { AbortedError } from './errors/aborted-error.js';
export { AdapterError, type AdapterErrorCode } from './errors/adapter-error.js';
export { BotlensError } from './errors/botlens-error.js';
export { DeadlineExceededError } from './errors/deadline-exceeded-error.js';
export { BOTLENS_ERROR_CODES, type BotlensErrorCode } from './errors/error-codes.js';
export { HubError, type HubErrorDetails, type HubErrorKind } from './errors/hub-error.js';
export { ImageLoadError } from './errors/image-load-error.js';
export { IntegrityError } from './errors/integrity-error.js';
export { InvalidOptionsError } from './errors/invalid-options-error.js';
export { InvalidTranscriptError, type TranscriptIssue } from './errors/invalid-transcript-error.js';
export { MissingDependencyError } from './errors/missing-dependency-error.js';
export { ModelLoadError } from './errors/model-load-error.js';
export { NotFittedError } from './errors/not-fitted-error.js';
export { QueueFullError } from './errors/queue-full-error.js';
export { ServiceStartError } from './errors/service-start-error.js';
// Evaluation
export type { BootstrapIntervals, BootstrapOptions, Interval } from './eval/bootstrap.js';
export {
  type EvaluateOptions,
  type EvaluationReport,
  evaluateDetector,
  type MemberFailureCount,
} from './eval/evaluate.js';
export type { GroupMetrics } from './eval/group-metrics.js';
export {
  type ComputeMetricsOptions,
  type ConfusionCounts,
  computeMetrics,
  type Metrics,
} from './eval/metrics.js';
export type { ModelRelocation } from './runtime/model-options.js';
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
