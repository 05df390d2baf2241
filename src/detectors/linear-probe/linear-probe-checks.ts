import { checkBoolean, checkL2 } from '../../core/detector-kit.js';

/**
 * The checks of `LinearProbeDetector`'s own fitting options: each takes the option as given (`undefined`: not
 * given) and returns it with its default applied, or throws InvalidOptionsError naming it. The constructor and
 * the `linear-probe` spec both call these, so a bad value gets the same message wherever it is written (and this
 * module loads no model code, so the spec can read it).
 *
 * @example
 * ```ts
 * linearProbeChecks.balanceClasses(undefined); // true
 * linearProbeChecks.balanceClasses(1); // throws: Invalid option "balanceClasses": got 1; use true or false
 * ```
 * @internal
 */
export const linearProbeChecks = Object.freeze({
  /** `l2`: a number >= 0, 1 by default. */
  l2: checkL2,
  /** `balanceClasses`: true or false, true by default. */
  balanceClasses: (value: unknown): boolean => checkBoolean('balanceClasses', value, true),
});
