/**
 * `botlens/peft`: LoRA adapters in TypeScript. Train a LoRA adapter in process, merge a PEFT adapter folder into
 * a model folder, and distil a slow detector into a fast one. Every entry point works on folders (a
 * transformers.js model folder, a PEFT adapter folder); the ONNX graph and tensor types stay internal.
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
  type DistillOptions,
  type DistillProgress,
  type DistillResult,
  type DistillStudent,
  distill,
} from './distill.js';
export {
  type MergedModule,
  type MergeLoraOptions,
  type MergeResult,
  mergeLoraAdapter,
  type ReplacedParameter,
} from './merge.js';
export type { LoraAdapterFiles } from './training/save-adapter.js';
export type { LoraTarget } from './training/top-layer-weights.js';
export type { EpochStats, TrainHyperparameters, TrainProgress } from './training/train-core.js';
export {
  type TrainingTranscript,
  type TrainLoraOptions,
  type TrainLoraResult,
  trainLora,
} from './training/train-lora.js';
