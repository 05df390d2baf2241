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

/** Checks and fills in {@link StyleFeatureOptions}. */
export function resolveStyleFeatureOptions(options: StyleFeatureOptions = {}): Required<StyleFeatureOptions> {
  const o = { ...DEFAULT_STYLE_FEATURE_OPTIONS, ...stripUndefined(options) };
  if (!(Number.isFinite(o.minHumanDelayMs) && o.minHumanDelayMs >= 0)) {
    throw new InvalidOptionsError(
      'minHumanDelayMs',
      `expected a non-negative number of milliseconds, got ${o.minHumanDelayMs}`,
    );
  }
  if (!(Number.isFinite(o.maxHumanCharsPerSecond) && o.maxHumanCharsPerSecond > 0)) {
    throw new InvalidOptionsError(
      'maxHumanCharsPerSecond',
      `expected a positive number of characters per second, got ${o.maxHumanCharsPerSecond}`,
    );
  }
  if (!(Number.isInteger(o.repeatWindow) && o.repeatWindow >= 1)) {
    throw new InvalidOptionsError('repeatWindow', `expected a positive integer, got ${o.repeatWindow}`);
  }
  return o;
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

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
