import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * An integer option of at least `min`, or `fallback` when it is not given.
 *
 * @param name - the option, for the error
 * @param value - what was given
 * @param fallback - the default
 * @param min - the smallest allowed value
 * @throws InvalidOptionsError otherwise
 */
export function checkCount(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min)
    throw new InvalidOptionsError(name, `expected an integer >= ${min}, got ${describeValue(value)}`);
  return value;
}
