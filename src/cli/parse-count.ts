import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * Parses a whole-number flag of at least `min`; `undefined` when the flag was not given.
 *
 * @throws InvalidOptionsError for anything else
 */
export function parseCount(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidOptionsError(flag, `expected a whole number >= ${min}, got "${value}"`);
  return n;
}
