import { BotlensError } from './botlens-error.js';

/**
 * A model could not be loaded: a missing file, a corrupt ONNX graph, a remote fetch while offline.
 * The message names the model, the missing file when known, and how to fix it.
 *
 * @example
 * ```ts
 * try {
 *   await detector.detect(t);
 * } catch (err) {
 *   if (ModelLoadError.isInstance(err)) console.error(err.model, err.file);
 * }
 * ```
 */
export class ModelLoadError extends BotlensError {
  /** The model id or folder that failed. */
  readonly model: string;
  /** The file that was missing or unreadable, when known. */
  readonly file: string | undefined;

  /**
   * @param model - model id or folder
   * @param message - what happened and how to fix it
   * @param options - the file involved and the underlying cause
   */
  constructor(model: string, message: string, options?: { file?: string; cause?: unknown }) {
    super('MODEL_LOAD', message, options);
    this.name = 'ModelLoadError';
    this.model = model;
    this.file = options?.file;
  }

  /** True when `value` is a ModelLoadError from any copy of the package. */
  static override isInstance(value: unknown): value is ModelLoadError {
    return BotlensError.isInstance(value) && value.code === 'MODEL_LOAD';
  }
}
