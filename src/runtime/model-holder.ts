import { acquireModel, type ModelHandle, type ModelTask } from './load-model.js';
import { shortModelName } from './local-path.js';
import { type AcquireModelOptions, resolveModelLocation } from './model-location.js';

/**
 * Loads a model on first use and keeps the handle: the shared plumbing of every model-backed class
 * (`TransformersEmbedder`, `NliScorer`, `ClipEncoder` and the detectors built on them). Concurrent first calls
 * share one load; a failed load is retried on the next call; {@link ModelHolder.release} gives the model back.
 *
 * @example
 * ```ts
 * const holder = new ModelHolder('feature-extraction', { defaultModel: 'Xenova/e5-small-v2' });
 * const h = await holder.get();
 * await holder.release();
 * ```
 */
export class ModelHolder {
  private pending: Promise<ModelHandle> | undefined;

  /**
   * @param task - which model class to load
   * @param options - model options and the default model
   */
  constructor(
    readonly task: ModelTask,
    readonly options: AcquireModelOptions,
  ) {
    // Fail fast on bad options (a malformed id, a cache folder inside node_modules), before any load.
    resolveModelLocation(options);
  }

  /** The model as configured: `model`, or the default model. */
  get modelName(): string {
    return this.options.model ?? this.options.defaultModel;
  }

  /** A short, path-free name for ids: the hub id, or the folder's base name for a local path. */
  get shortName(): string {
    return shortModelName(this.modelName);
  }

  /** The loaded handle (loads on first call). */
  get(): Promise<ModelHandle> {
    if (!this.pending) {
      const p = acquireModel(this.task, this.options);
      this.pending = p;
      p.catch(() => {
        if (this.pending === p) this.pending = undefined;
      });
    }
    return this.pending;
  }

  /** True once a load has started. */
  get started(): boolean {
    return this.pending !== undefined;
  }

  /** Releases the handle, if one was loaded. Safe to call more than once. */
  async release(): Promise<void> {
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    const h = await p.catch(() => undefined);
    await h?.release();
  }
}
