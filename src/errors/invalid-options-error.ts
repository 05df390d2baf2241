import { BotlensError } from './botlens-error.js';

/**
 * An option passed to a botlens constructor or function is invalid. The message names the option,
 * the value received and the values accepted.
 *
 * @example
 * ```ts
 * new Ensemble([], { strategy: 'weighted-mean' }); // throws InvalidOptionsError: at least one detector
 * ```
 */
export class InvalidOptionsError extends BotlensError {
  /** The option at fault, e.g. `strategy`. */
  readonly option: string;

  /**
   * @param option - the option at fault
   * @param message - what is wrong and the accepted values
   */
  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_OPTIONS', `Invalid option "${option}": ${message}`, options);
    this.name = 'InvalidOptionsError';
    this.option = option;
  }

  /** True when `value` is an InvalidOptionsError from any copy of the package. */
  static override isInstance(value: unknown): value is InvalidOptionsError {
    return BotlensError.isInstance(value) && value.code === 'INVALID_OPTIONS';
  }
}
