/**
 * `T` read-only all the way down: its properties, the items of its arrays and what they hold, as a deep-frozen
 * table such as `ENSEMBLE_PRESETS` is (`Readonly<T>` reaches only the top level). Functions and `unknown` stay as
 * they are, and so do primitives (a `string & {}` brand included, which would otherwise be mapped over
 * String's methods).
 *
 * @example
 * ```ts
 * const spec: DeepReadonly<EnsembleSpec> = ENSEMBLE_PRESETS.transfer.spec;
 * spec.detectors[0].type; // 'heuristic'
 * // spec.detectors.push(...) and spec.detectors[0].type = 'nli' are type errors
 * ```
 */
export type DeepReadonly<T> = T extends string | number | boolean | bigint | symbol | null | undefined
  ? T
  : T extends (...args: never[]) => unknown
    ? T
    : T extends readonly (infer U)[]
      ? readonly DeepReadonly<U>[]
      : T extends object
        ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
        : T;
