import type { DetectOptions, StreamOptions } from './detector.js';
import { type OptionKeys, refuseUnknownKeys } from './refuse-unknown-keys.js';

/** Every key of {@link DetectOptions}: `detect()`, `detectBatch()`, `fit()` and a stream's `push()` refuse any other. */
const DETECT_OPTION_KEYS: OptionKeys<DetectOptions> = { signal: true };

/** Every key of {@link StreamOptions}: `stream()` and `openStream()` refuse any other. */
const STREAM_OPTION_KEYS: OptionKeys<StreamOptions> = { target: true, profile: true, limits: true };

/**
 * The options of a detector's method as its errors name them: `the options of detect() on "heuristic"`.
 *
 * @param method - the method, e.g. `detect`
 * @param detector - the detector's name
 * @internal
 */
export function methodOptionsOf(method: string, detector: string): string {
  return `the options of ${method}() on "${detector}"`;
}

/**
 * Refuses a key that {@link DetectOptions} does not have (`sigal` for `signal`), as constructors refuse theirs: a
 * misspelt `signal` would otherwise leave the call impossible to cancel, without a word.
 *
 * @param opts - the options as given (`undefined` passes)
 * @param method - `detect`, `detectBatch`, `fit` or `push`
 * @param detector - the detector's name
 * @throws InvalidOptionsError naming the unknown key
 * @internal
 */
export function refuseUnknownDetectOptions(
  opts: DetectOptions | undefined,
  method: string,
  detector: string,
): void {
  refuseUnknownKeys(opts, DETECT_OPTION_KEYS, methodOptionsOf(method, detector));
}

/**
 * Refuses a key that {@link DetectOptions} does not have in a stream's `push()` options (`sigal` for `signal`).
 *
 * @param opts - the options as given (`undefined` passes)
 * @param detector - the detector's name, when the stream knows it (the error then names it)
 * @throws InvalidOptionsError naming the unknown key
 * @internal
 */
export function refuseUnknownPushOptions(
  opts: DetectOptions | undefined,
  detector: string | undefined,
): void {
  if (opts === undefined) return;
  refuseUnknownKeys(
    opts,
    DETECT_OPTION_KEYS,
    detector === undefined ? "the options of a stream's push()" : methodOptionsOf('push', detector),
  );
}

/**
 * Refuses a key that {@link StreamOptions} does not have (`limts` for `limits`).
 *
 * @param opts - the options as given
 * @param what - whose options they are, e.g. `the options of openStream()`
 * @throws InvalidOptionsError naming the unknown key
 * @internal
 */
export function refuseUnknownStreamOptions(opts: StreamOptions, what: string): void {
  refuseUnknownKeys(opts, STREAM_OPTION_KEYS, what);
}
