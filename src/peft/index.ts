/**
 * `botlens/peft`: LoRA adapters in TypeScript. Read PEFT adapters and merge them into ONNX models, train LoRA
 * adapters (and probing heads) in process, and distil a slow detector into a fast one.
 *
 * @example
 * ```ts
 * import { mergeLoraAdapter, trainLora } from 'botlens/peft';
 * const res = await trainLora({ model: 'models/tiny-bert-cls', examples: train, out: 'adapters/bots' });
 * await mergeLoraAdapter({ base: 'models/tiny-bert-cls', adapter: 'adapters/bots', out: 'models/bots' });
 * ```
 *
 * @module botlens/peft
 */

export {
  LinearProbeDetector,
  type LinearProbeOptions,
} from '../detectors/linear-probe/linear-probe-detector.js';
// The ONNX protobuf types, all of them.
export * from '../onnx/onnx-types.js';
export { Adam, type AdamOptions } from './adam.js';
export {
  isLoraTarget,
  type LoraAdapterConfig,
  loraAlpha,
  loraRank,
  loraScaling,
  parseAdapterConfig,
} from './adapter-config.js';
export type { BertStructure } from './bert-structure.js';
export { BertTrunk, type BertTrunkOptions, type EncodeProgress } from './bert-trunk.js';
export {
  type DistillFitProgress,
  type DistillLabelProgress,
  type DistillOptions,
  type DistillProgress,
  type DistillResult,
  type DistillStudent,
  distill,
} from './distill.js';
export {
  type MergedModule,
  type MergeLoraOptions,
  type MergeReport,
  type MergeResult,
  mergeLoraAdapter,
  mergeLoraIntoModel,
  type ReplacedParameter,
} from './merge.js';
export {
  type FullParameter,
  type LoraAdapter,
  type LoraModuleUpdate,
  readLoraAdapter,
} from './read-adapter.js';
export {
  encodeSafetensors,
  parseSafetensors,
  readSafetensors,
  type SafeTensor,
  type SafetensorsFile,
  type TensorToWrite,
  writeSafetensors,
} from './safetensors.js';
export { type LoraAdapterFiles, loraAdapterFiles, saveLoraAdapter } from './save-adapter.js';
export type {
  Activation,
  ExampleFeatures,
  LayerNormWeights,
  LinearWeights,
  LoraTarget,
  TopLayerWeights,
  TrainableParams,
} from './top-layer.js';
export {
  type EncodeProgressEvent,
  type EpochProgressEvent,
  type EpochStats,
  type StepProgressEvent,
  type TrainHyperparameters,
  type TrainingExample,
  type TrainOutcome,
  type TrainProgress,
  trainTopLayer,
} from './train-core.js';
export {
  predictTopLayer,
  type TopLayerPrediction,
  type TrainedTopLayer,
  type TrainingTranscript,
  type TrainLoraOptions,
  type TrainLoraResult,
  trainLora,
} from './train-lora.js';
export { transcriptText } from './transcript-text.js';
