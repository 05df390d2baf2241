import { BotlensError } from './botlens-error.js';

/**
 * A detector or ensemble that needs `fit()` (or fitted state from `fromJSON()`) was used before it had any.
 *
 * @example
 * ```ts
 * const ens = new Ensemble([a, b], { strategy: 'stacking' });
 * await ens.detect(t); // throws NotFittedError: call ens.fit(examples) first
 * ```
 */
export class NotFittedError extends BotlensError {
  /** Name of the component that needs fitting. */
  readonly component: string;

  /**
   * @param component - name of the detector or ensemble
   * @param message - what to call to fit it
   */
  constructor(component: string, message: string) {
    super('NOT_FITTED', `${component} is not fitted: ${message}`);
    this.name = 'NotFittedError';
    this.component = component;
  }

  /** True when `value` is a NotFittedError from any copy of the package. */
  static override isInstance(value: unknown): value is NotFittedError {
    return BotlensError.isInstance(value) && value.code === 'NOT_FITTED';
  }
}
