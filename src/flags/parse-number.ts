import { describeRange, inRange, type NumberRange } from '../core/number-range.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/**
 * Decimal notation only: an optional sign, digits with an optional fraction, an optional exponent. `Number()`
 * alone would read `""` and `" "` as 0, `"0x10"` as 16 and `"Infinity"` as a number; none of those is a value
 * anyone means on a command line.
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a number flag: decimal notation (no blanks, hex, `Infinity` or `NaN`) inside `range`. Every number
 * flag of the CLI goes through it, so all refuse the same malformed values.
 *
 * @param flag - the flag, e.g. `--threshold`, named in the error
 * @param value - its value as typed
 * @param range - where the number must lie (and whether it must be whole)
 * @param message - the error text for a bad value
 * @defaultValue message: `expected <what the range holds>, got "<value>"`
 * @throws InvalidOptionsError naming `flag` for anything else
 * @example
 * ```ts
 * parseNumberFlag('--threshold', '0.7', PROBABILITY); // 0.7
 * parseNumberFlag('--threshold', '', PROBABILITY); // throws: expected a number in [0, 1], got ""
 * ```
 */
export function parseNumberFlag(
  flag: string,
  value: string,
  range: NumberRange,
  message: (value: string) => string = (v) => `expected ${describeRange(range)}, got "${v}"`,
): number {
  const n = DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!inRange(n, range)) throw new InvalidOptionsError(flag, message(value));
  return n;
}

/**
 * Parses a whole-number flag of at least `min`; `undefined` when the flag was not given.
 *
 * @param flag - the flag, named in the error
 * @param value - its value as typed, if given
 * @param min - the smallest value allowed
 * @throws InvalidOptionsError for anything else (message `expected a whole number >= min, got "value"`)
 */
export function parseCount(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  return parseNumberFlag(flag, value, { min, max: Number.POSITIVE_INFINITY, integer: true });
}
