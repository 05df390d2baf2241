import { BotlensError } from './botlens-error.js';

/**
 * A feature needs an optional package that is not installed (the model runtime, the ANN index, the HTTP service,
 * the queue). The message names the package and the command that installs it.
 *
 * @example
 * ```ts
 * try {
 *   await createServer(config);
 * } catch (err) {
 *   if (MissingDependencyError.isInstance(err)) console.error(err.message); // "... run `npm install fastify`"
 * }
 * ```
 */
export class MissingDependencyError extends BotlensError {
  /** The npm package that is missing. */
  readonly packageName: string;
  /** The botlens feature that needs it. */
  readonly feature: string;

  /**
   * @param packageName - the missing npm package
   * @param feature - what needs it, in words (e.g. "model-backed detectors")
   * @param options - the underlying import error
   */
  constructor(packageName: string, feature: string, options?: { cause?: unknown }) {
    super(
      'MISSING_DEPENDENCY',
      `${feature} need the optional package "${packageName}", which is not installed: run \`npm install ${packageName}\`.`,
      options,
    );
    this.name = 'MissingDependencyError';
    this.packageName = packageName;
    this.feature = feature;
  }

  /** True when `value` is a MissingDependencyError from any copy of the package. */
  static override isInstance(value: unknown): value is MissingDependencyError {
    return BotlensError.isInstance(value) && value.code === 'MISSING_DEPENDENCY';
  }
}
