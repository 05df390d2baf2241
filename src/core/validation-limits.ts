import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { describeValue } from './describe-value.js';
import { type OptionKeys, refuseUnknownKeys } from './refuse-unknown-keys.js';

/** Limits applied by `validateTranscript`. */
export interface ValidationLimits {
  /**
   * Fewest messages accepted.
   * @defaultValue 1
   */
  minMessages?: number;
  /**
   * Most messages accepted.
   * @defaultValue 200
   */
  maxMessages?: number;
  /**
   * Longest message text, in UTF-16 code units.
   * @defaultValue 10000
   */
  maxTextLength?: number;
  /**
   * Longest speaker name, in UTF-16 code units.
   * @defaultValue 256
   */
  maxSpeakerLength?: number;
  /**
   * Longest profile bio, in UTF-16 code units.
   * @defaultValue 5000
   */
  maxBioLength?: number;
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Readonly<Required<ValidationLimits>> = Object.freeze({
  minMessages: 1,
  maxMessages: 200,
  maxTextLength: 10_000,
  maxSpeakerLength: 256,
  maxBioLength: 5_000,
});

const LIMIT_KEYS: OptionKeys<ValidationLimits> = {
  minMessages: true,
  maxMessages: true,
  maxTextLength: true,
  maxSpeakerLength: true,
  maxBioLength: true,
};

/** Limits objects made by {@link resolveValidationLimits}: complete, checked and frozen. */
const resolvedLimits = new WeakSet<object>();
const RESOLVED_DEFAULTS: Readonly<Required<ValidationLimits>> = DEFAULT_LIMITS;
resolvedLimits.add(RESOLVED_DEFAULTS);

/**
 * What a limit may be, in words for a refusal: a whole number of 0 or more, and for `maxMessages` at least
 * `minMessages` (the minimum it has then: `limits` sets it or its default, 1), so `maxMessages: 0` is refused as
 * `maxMessages` and says the least it may be, not as a `minMessages` the caller never gave.
 */
function validRange(
  k: keyof ValidationLimits,
  l: Required<ValidationLimits>,
  limits: ValidationLimits,
): string {
  if (k !== 'maxMessages') return 'a whole number, 0 or more';
  const which = limits.minMessages === undefined ? 'the default minMessages' : 'minMessages';
  return `a whole number of messages, at least ${l.minMessages} (${which})`;
}

/**
 * {@link DEFAULT_LIMITS} overridden by `limits` (entries left `undefined` keep their default), checked and
 * frozen. Validating with the returned object skips this work, so a detector resolves its limits once.
 *
 * @param limits - overrides for {@link DEFAULT_LIMITS}
 * @throws InvalidOptionsError naming a limit that is not a whole number of 0 or more, `maxMessages` below
 *   `minMessages` (1 unless given), or a key that is not a limit (`limits.maxMesages`)
 *
 * @example
 * ```ts
 * const limits = resolveValidationLimits({ maxMessages: 5000 });
 * validateTranscript(longChat, limits);
 * ```
 */
export function resolveValidationLimits(limits?: ValidationLimits): Readonly<Required<ValidationLimits>> {
  if (limits === undefined) return RESOLVED_DEFAULTS;
  if (resolvedLimits.has(limits)) return limits as Required<ValidationLimits>;
  refuseUnknownKeys(limits, LIMIT_KEYS, 'the validation limits', { at: 'limits' });
  const l: Required<ValidationLimits> = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(DEFAULT_LIMITS) as (keyof ValidationLimits)[]) {
    const v = limits[k];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0 || (k === 'maxMessages' && v < l.minMessages)) {
      throw new InvalidOptionsError(k, `expected ${validRange(k, l, limits)}, got ${describeValue(v)}`);
    }
    l[k] = v;
  }
  const out = Object.freeze(l);
  resolvedLimits.add(out);
  return out;
}
