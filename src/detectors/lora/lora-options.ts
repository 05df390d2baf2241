import type { TrainHyperparameters, TrainProgress } from '../../peft/training/train-core.js';
import type { BatchPlanOptions } from '../../runtime/batching.js';
import type { ModelOptions } from '../../runtime/model-options.js';

/** The reference LoRA recipe: rank 8, alpha 32, on the query and value projections. */
export const DEFAULT_LORA_TRAINING: Readonly<
  Required<Pick<TrainHyperparameters, 'r' | 'alpha' | 'targets'>>
> = Object.freeze({
  r: 8,
  alpha: 32,
  targets: Object.freeze(['query', 'value'] as const),
});

/** Options for {@link LoraClassifierDetector}. */
export interface LoraClassifierOptions extends ModelOptions, BatchPlanOptions {
  /**
   * Name in results and ensembles.
   * @defaultValue 'lora'
   */
  name?: string;
  /**
   * P(bot) at or above which the label is bot.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * PEFT LoRA adapter folders merged into the model, in order, when it loads (the merged model is kept in the
   * botlens cache, so inference costs what the base model costs).
   * @defaultValue []
   */
  adapters?: readonly string[];
  /**
   * The label in `config.id2label` that means bot (case-insensitive), or its index.
   * @defaultValue 'bot'
   */
  botLabel?: string | number;
  /**
   * Most tokens read per transcript (special tokens included); the end of longer texts is cut.
   * @defaultValue 128
   */
  maxLength?: number;
  /**
   * Settings `fit()` trains with (see `trainLora`); `r`, `alpha` and `targets` default to the reference recipe
   * (`r: 8`, `alpha: 32`, `targets: ['query', 'value']`).
   * @defaultValue the reference recipe above and trainLora's defaults
   */
  training?: LoraTrainingOptions;
}

/** How {@link LoraClassifierDetector.fit} trains (see `trainLora`). */
export interface LoraTrainingOptions extends TrainHyperparameters {
  /**
   * Share of the examples held out for early stopping.
   * @defaultValue 0.2
   */
  validationSplit?: number;
  /**
   * Called with encoding progress, every step and every epoch.
   * @defaultValue undefined
   */
  onProgress?: (p: TrainProgress) => void;
}
