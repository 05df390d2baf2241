import { z } from 'zod';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { describeValue } from './describe-value.js';

/**
 * The "number in an interval" rule, in one place: the CLI's number flags, the ensemble's option checks and the
 * config schemas all test membership and print the interval through these, each wrapping its own error.
 */

/**
 * An interval of numbers, closed unless an end is marked open, optionally of whole numbers only.
 *
 * @example
 * ```ts
 * const share: NumberRange = { min: 0, max: 1, minOpen: true }; // (0, 1]
 * ```
 * @internal
 */
export interface NumberRange {
  /** The lower end (`-Infinity`: none). */
  readonly min: number;
  /** The upper end (`Infinity`: none). */
  readonly max: number;
  /**
   * Whether `min` itself is outside.
   * @defaultValue false
   */
  readonly minOpen?: boolean;
  /**
   * Whether `max` itself is outside.
   * @defaultValue false
   */
  readonly maxOpen?: boolean;
  /**
   * Whether only whole numbers are in it.
   * @defaultValue false
   */
  readonly integer?: boolean;
}

/**
 * [0, 1]: a probability, e.g. a decision threshold.
 * @internal
 */
export const PROBABILITY: NumberRange = Object.freeze({ min: 0, max: 1 });

/**
 * (0, 1): a share that can be neither none nor all, e.g. the share of bots expected (`prior`).
 * @internal
 */
export const OPEN_SHARE: NumberRange = Object.freeze({ min: 0, max: 1, minOpen: true, maxOpen: true });

/**
 * (0, 1]: a share that can be all but not none, e.g. `memberPrefixCutShare`.
 * @internal
 */
export const NONZERO_SHARE: NumberRange = Object.freeze({ min: 0, max: 1, minOpen: true });

/**
 * Whether `x` is a finite number in `range` (never for NaN, ±Infinity, a string or anything else).
 *
 * @param x - the value as given
 * @param range - the interval
 * @example
 * ```ts
 * inRange(1, OPEN_SHARE); // false
 * ```
 * @internal
 */
export function inRange(x: unknown, range: NumberRange): x is number {
  if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  if (range.integer && !Number.isInteger(x)) return false;
  const aboveMin = range.minOpen ? x > range.min : x >= range.min;
  const belowMax = range.maxOpen ? x < range.max : x <= range.max;
  return aboveMin && belowMax;
}

/**
 * The interval in mathematical notation, `(0, 1]`.
 *
 * @param range - the interval
 * @internal
 */
export function formatRange(range: NumberRange): string {
  return `${range.minOpen ? '(' : '['}${range.min}, ${range.max}${range.maxOpen ? ')' : ']'}`;
}

/**
 * What a value in `range` is, in words, for "expected ..." messages: `a number in [0, 1]`,
 * `a whole number from 1 to 1024`, `a whole number >= 0`, `a positive number`, `a number`.
 *
 * @param range - the interval
 * @internal
 */
export function describeRange(range: NumberRange): string {
  const noun = range.integer ? 'a whole number' : 'a number';
  const lower = range.min !== Number.NEGATIVE_INFINITY;
  const upper = range.max !== Number.POSITIVE_INFINITY;
  if (!lower && !upper) return noun;
  if (range.integer && !range.minOpen && !range.maxOpen) {
    if (lower && upper) return `${noun} from ${range.min} to ${range.max}`;
    return lower ? `${noun} >= ${range.min}` : `${noun} <= ${range.max}`;
  }
  if (lower && upper) return `${noun} in ${formatRange(range)}`;
  if (lower) {
    if (range.min === 0 && range.minOpen) return `a positive ${range.integer ? 'whole number' : 'number'}`;
    return `${noun} ${range.minOpen ? '>' : '>='} ${range.min}`;
  }
  return `${noun} ${range.maxOpen ? '<' : '<='} ${range.max}`;
}

/**
 * An option checked to be a number in `range`, for constructors and functions that take options objects.
 *
 * @param key - the option's name, for the error
 * @param value - the option as given (after its default)
 * @param range - the interval
 * @returns `value`
 * @throws InvalidOptionsError naming `key`: `expected <what the range holds>, got <value>`
 * @example
 * ```ts
 * checkInRange('threshold', 0.7, PROBABILITY); // 0.7
 * ```
 * @internal
 */
export function checkInRange(key: string, value: unknown, range: NumberRange): number {
  if (!inRange(value, range)) {
    throw new InvalidOptionsError(key, `expected ${describeRange(range)}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * A zod schema of a number in `range` with one message, `error`, for any bad value (not a number, or outside
 * the interval).
 *
 * @param range - the interval
 * @param error - the message
 * @internal
 */
export function numberSchema(range: NumberRange, error: string): z.ZodNumber {
  return z.number({ error }).refine((v) => inRange(v, range), { error });
}

/**
 * A zod schema of a number in `range`, with one message for any bad value (not a number, or outside the
 * interval) in the words {@link checkInRange} uses: `expected <what the range holds>, got <value>` (the issue's
 * path names the field), for config and spec schemas.
 *
 * @param range - the interval
 * @example
 * ```ts
 * z.strictObject({ prior: numberInRange(OPEN_SHARE).optional() });
 * ```
 * @internal
 */
export function numberInRange(range: NumberRange): z.ZodNumber {
  const error = (issue: { input?: unknown }) =>
    `expected ${describeRange(range)}, got ${describeValue(issue.input)}`;
  return z.number({ error }).refine((v) => inRange(v, range), { error });
}
