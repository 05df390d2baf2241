import type { DeepReadonly } from '../core/deep-readonly.js';
import type { DetectorSpec, EnsembleSpec } from './detector-spec.js';
import { parseDetectorSpec } from './registry.js';

/**
 * Which ensemble strategies cannot combine until the ensemble is fitted: `stacking` learns its combiner from
 * labelled data; `weighted-mean` and `cascade` combine unfitted (a fit only sharpens `cascade`).
 *
 * @internal
 */
export const STRATEGY_NEEDS_FIT = Object.freeze({
  'weighted-mean': false,
  stacking: true,
  cascade: false,
} as const satisfies Record<EnsembleSpec['strategy'], boolean>);

/**
 * A part of an {@link EnsembleSpec} that cannot score until the ensemble is fitted.
 *
 * @internal
 */
export type UnfittedPart =
  | {
      /** The ensemble's strategy learns its combiner from labelled data. */
      readonly part: 'strategy';
      /** The strategy. */
      readonly strategy: EnsembleSpec['strategy'];
    }
  | {
      /** A member's type declares that it cannot score unfitted (`DetectorDescriptor.needsFit`). */
      readonly part: 'detector';
      /** The member's index in `detectors`. */
      readonly index: number;
      /** Its name (the type, unless the spec names it). */
      readonly name: string;
      /** Its type. */
      readonly type: string;
    };

/**
 * Whether a detector built from `spec` cannot score until it is fitted, as its type's descriptor declares
 * (`DetectorDescriptor.needsFit`, given the parsed options).
 *
 * @param spec - a detector spec
 * @throws InvalidOptionsError for an unknown type or a bad option (naming it)
 * @internal
 */
export function detectorNeedsFit(spec: DeepReadonly<DetectorSpec>): boolean {
  const { descriptor, options } = parseDetectorSpec(spec);
  return descriptor.needsFit?.(options) ?? false;
}

/**
 * The rule that the CLI and the service apply before they score with an ensemble built from a spec rather than
 * loaded from a fitted file: the parts of `spec` that cannot score until it is fitted, its strategy first, then its
 * members in order. Empty when the spec scores as it is built.
 *
 * @param spec - an ensemble spec
 * @throws InvalidOptionsError for a member of unknown type or with a bad option (naming it)
 * @internal
 */
export function unfittedParts(spec: DeepReadonly<EnsembleSpec>): UnfittedPart[] {
  const parts: UnfittedPart[] = [];
  if (STRATEGY_NEEDS_FIT[spec.strategy]) parts.push({ part: 'strategy', strategy: spec.strategy });
  spec.detectors.forEach((d, index) => {
    if (detectorNeedsFit(d)) parts.push({ part: 'detector', index, name: d.name ?? d.type, type: d.type });
  });
  return parts;
}

/**
 * Says, in one clause, why the parts cannot score unfitted, for the messages of the CLI and the service: e.g. `the
 * "stacking" strategy learns its combiner from labelled data, and detector "partner-contrast" has nothing to score
 * with before it is fitted`.
 *
 * @param parts - from {@link unfittedParts}, not empty
 * @internal
 */
export function describeUnfitted(parts: readonly UnfittedPart[]): string {
  const clauses: string[] = [];
  const members: string[] = [];
  for (const p of parts) {
    if (p.part === 'strategy')
      clauses.push(`the "${p.strategy}" strategy learns its combiner from labelled data`);
    else members.push(p.name === p.type ? `"${p.name}"` : `"${p.name}" (${p.type})`);
  }
  if (members.length > 0) {
    const one = members.length === 1;
    clauses.push(
      `detector${one ? '' : 's'} ${members.join(', ')} ${one ? 'has' : 'have'} nothing to score with before ${one ? 'it is' : 'they are'} fitted`,
    );
  }
  return clauses.join(', and ');
}
