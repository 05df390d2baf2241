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
  /** The npm package that is missing (the first, when several are: see {@link MissingDependencyError.packageNames}). */
  readonly packageName: string;
  /** Every missing npm package the feature needs, in the order given (one `npm install` line installs them all). */
  readonly packageNames: readonly string[];
  /** The botlens feature that needs it. */
  readonly feature: string;

  /**
   * @param packageName - the missing npm package, or every missing one a feature needs (at least one)
   * @param feature - what needs it, in words (e.g. "Model-backed detectors")
   * @param options - the underlying import error
   */
  constructor(packageName: string | readonly string[], feature: string, options?: { cause?: unknown }) {
    const names = typeof packageName === 'string' ? [packageName] : [...packageName];
    const quoted = names.map((n) => `"${n}"`);
    const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
    // "HNSW vector indexes" keeps its capitals; "The HTTP service" reads "the HTTP service" mid-sentence.
    const what = /^[A-Z][a-z]/.test(feature) ? feature[0]!.toLowerCase() + feature.slice(1) : feature;
    super(
      'MISSING_DEPENDENCY',
      names.length === 1
        ? `The optional package ${list}, needed for ${what}, is not installed: run \`npm install ${names[0]}\`.`
        : `The optional packages ${list}, needed for ${what}, are not installed: run \`npm install ${names.join(' ')}\`.`,
      options,
    );
    this.name = 'MissingDependencyError';
    this.packageName = names[0] ?? '';
    this.packageNames = names;
    this.feature = feature;
  }

  /** True when `value` is a MissingDependencyError from any copy of the package. */
  static override isInstance(value: unknown): value is MissingDependencyError {
    return BotlensError.isInstance(value) && value.code === 'MISSING_DEPENDENCY';
  }
}
