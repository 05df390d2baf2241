import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { describeValue } from './describe-value.js';
import { editDistance } from './edit-distance.js';

/**
 * Every key of an options type `T`, each mapped to `true`: the list {@link refuseUnknownKeys} checks against.
 * Written as an object of this type, the compiler refuses a list that misses a key of `T` or has one more, so it
 * cannot drift from the options interface.
 *
 * @internal
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Where the options {@link refuseUnknownKeys} checks are, for the names its errors give.
 *
 * @internal
 */
export interface OptionsPlace {
  /**
   * For options nested in another options object, where they are (`embedderOptions`): the error then names the
   * key as `embedderOptions.modelDirr`.
   */
  at?: string;
  /**
   * The name the error gives options that are not an object.
   * @defaultValue `at`, else `options`
   */
  option?: string;
}

/**
 * Refuses an options object with a key its type does not have (`stratgy` for `strategy`): TypeScript catches
 * those at compile time, plain JavaScript and JSON callers get no such check, and an ignored misspelt option
 * silently gives a default instead. The one check of this for every public constructor, factory and function that takes an options object.
 *
 * It also refuses options that are not an object at all (`null`, a string, a number, an array): those would
 * crash on the first option read, or be taken as "no options" without a word.
 *
 * @param options - the options as given (`undefined` passes: no options)
 * @param known - every key the options type has ({@link OptionKeys})
 * @param what - whose keys they are, for the message, e.g. `the options of new Ensemble()`
 * @param place - where the options are: see {@link OptionsPlace}
 * @throws InvalidOptionsError naming the first unknown key, the closest known key when one is close ("did you
 *   mean"), and the known keys; or, for options that are not an object, saying so
 * @example
 * ```ts
 * refuseUnknownKeys({ stratgy: 'stacking' }, { strategy: true }, 'the options of new Ensemble()');
 * // InvalidOptionsError: Invalid option "stratgy": not a key of the options of new Ensemble(); did you mean "strategy"? ...
 * ```
 * @internal
 */
export function refuseUnknownKeys<T>(
  options: T | undefined,
  known: OptionKeys<T>,
  what: string,
  place: OptionsPlace = {},
): void {
  if (options === undefined) return;
  const { at } = place;
  const option = place.option ?? at ?? 'options';
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionsError(
      option,
      `${what} must be an object (or left out), got ${describeValue(options)}: pass { ... } with the options to set`,
    );
  }
  const keys = Object.keys(options);
  if (keys.every((k) => Object.hasOwn(known, k))) return;
  const unknown = keys.filter((k) => !Object.hasOwn(known, k));
  const names = Object.keys(known);
  const others = unknown.slice(1).map((k) => describeValue(k));
  const nor = others.length > 0 ? ` (nor are ${others.join(', ')})` : '';
  const near = closestKey(unknown[0]!, names);
  const hint = near === undefined ? '.' : `; did you mean ${describeValue(near)}?`;
  throw new InvalidOptionsError(
    at === undefined ? unknown[0]! : `${at}.${unknown[0]!}`,
    `not a key of ${what}${nor}${hint} Its keys are ${names.join(', ')}: remove or rename it.`,
  );
}

/**
 * The known key closest to `key` when it is close enough to be what was meant: the same but for case, or at most
 * one edit per three characters (at least one), else `undefined`.
 */
function closestKey(key: string, names: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const name of names) {
    const d = editDistance(lower, name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}
