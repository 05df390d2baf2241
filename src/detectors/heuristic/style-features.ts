import { describeValue } from '../../core/describe-value.js';
import type { ValidTranscript } from '../../core/transcript.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { StyleAccumulator } from './style-accumulator.js';
import type { StyleFeatureOptions, StyleFeatures } from './style-feature-types.js';

/** Resolved options with their defaults. */
export const DEFAULT_STYLE_FEATURE_OPTIONS: Readonly<Required<StyleFeatureOptions>> = Object.freeze({
  minHumanDelayMs: 1000,
  maxHumanCharsPerSecond: 15,
  repeatWindow: 32,
});

/** A check of one style-feature option: its default when not given, else a number passing `ok`. */
function styleOptionCheck(
  key: keyof StyleFeatureOptions,
  ok: (v: number) => boolean,
  what: string,
): (value: unknown) => number {
  return (value) => {
    const v = value === undefined ? DEFAULT_STYLE_FEATURE_OPTIONS[key] : value;
    if (!(typeof v === 'number' && ok(v))) {
      throw new InvalidOptionsError(key, `expected ${what}, got ${describeValue(v)}`);
    }
    return v;
  };
}

/**
 * The checks of the style-feature options ({@link StyleFeatureOptions}): each takes the option as given
 * (`undefined`: not given) and returns it with its default applied, or throws InvalidOptionsError naming it.
 * The heuristic and partner-contrast constructors and their specs all call these, so a bad value gets the same
 * message wherever it is written.
 *
 * @example
 * ```ts
 * styleFeatureChecks.repeatWindow(0); // throws: Invalid option "repeatWindow": expected a positive integer, got 0
 * ```
 * @internal
 */
export const styleFeatureChecks = Object.freeze({
  /** `minHumanDelayMs`: a finite number >= 0, 1000 by default. */
  minHumanDelayMs: styleOptionCheck(
    'minHumanDelayMs',
    (v) => Number.isFinite(v) && v >= 0,
    'a non-negative number of milliseconds',
  ),
  /** `maxHumanCharsPerSecond`: a finite number > 0, 15 by default. */
  maxHumanCharsPerSecond: styleOptionCheck(
    'maxHumanCharsPerSecond',
    (v) => Number.isFinite(v) && v > 0,
    'a positive number of characters per second',
  ),
  /** `repeatWindow`: a whole number >= 1, 32 by default. */
  repeatWindow: styleOptionCheck('repeatWindow', (v) => Number.isInteger(v) && v >= 1, 'a positive integer'),
});

/** Checks and fills in {@link StyleFeatureOptions} (with {@link styleFeatureChecks}). */
export function resolveStyleFeatureOptions(options: StyleFeatureOptions = {}): Required<StyleFeatureOptions> {
  return {
    minHumanDelayMs: styleFeatureChecks.minHumanDelayMs(options.minHumanDelayMs),
    maxHumanCharsPerSecond: styleFeatureChecks.maxHumanCharsPerSecond(options.maxHumanCharsPerSecond),
    repeatWindow: styleFeatureChecks.repeatWindow(options.repeatWindow),
  };
}

/**
 * Measures the style signals of the target speaker of a validated transcript. A pure function: same input,
 * same output, no I/O. Runs in linear time (near repetition looks back at most `repeatWindow` messages).
 *
 * Timing: the delay of a target message is its time minus the time of the message just before it, counted
 * only when that message is by another speaker (a reply) and both carry timestamps.
 *
 * @param t - a transcript from `validateTranscript`
 * @param options - timing thresholds and the repetition window; see {@link StyleFeatureOptions}
 *
 * @example
 * ```ts
 * const f = computeStyleFeatures(
 *   validateTranscript({
 *     target: 'b',
 *     messages: [
 *       { speaker: 'a', text: 'hey, how are you?' },
 *       { speaker: 'b', text: 'i am fine . what do you do for fun ?' },
 *     ],
 *   }),
 * );
 * f.values.tokenizer_spacing_share; // 1
 * f.values.median_delay_ms; // null (no timestamps)
 * ```
 */
export function computeStyleFeatures(t: ValidTranscript, options?: StyleFeatureOptions): StyleFeatures {
  return measureStyleFeatures(t, resolveStyleFeatureOptions(options));
}

/**
 * `computeStyleFeatures` with options already resolved by {@link resolveStyleFeatureOptions}, for callers
 * that measure many transcripts with the same options.
 */
export function measureStyleFeatures(
  t: ValidTranscript,
  o: Readonly<Required<StyleFeatureOptions>>,
): StyleFeatures {
  const acc = new StyleAccumulator(t.target, o);
  for (const m of t.messages) acc.push(m);
  return acc.features();
}
