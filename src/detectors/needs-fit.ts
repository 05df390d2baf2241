import type { DeepReadonly } from '../core/deep-readonly.js';
import { describeValue } from '../core/describe-value.js';
import { refuseDuplicateNames } from '../ensemble/refuse-duplicate-names.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { LoadProgress } from '../runtime/model-options.js';
import { modelNeedsFitCheck } from './descriptors/model-detector.js';
import type { DetectorSpec, EnsembleSpec } from './detector-spec.js';
import { parseDetectorSpec, specMemberName } from './registry.js';

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
      /**
       * Why, when its model's files rather than its spec show it (`needsFitOnLoad`): e.g. that its `model` has no
       * classification head.
       */
      readonly reason?: string;
    };

/**
 * Whether a detector built from `spec` cannot score until it is fitted, as its type's descriptor declares
 * (`DetectorDescriptor.needsFit`, given the parsed options).
 *
 * @param spec - a detector spec
 * @throws InvalidOptionsError for an unknown type or a bad option (naming it), or naming `needsFit` and the type
 *   when the descriptor's `needsFit` throws or returns anything but a boolean (a Promise, `'no'`)
 * @internal
 */
export function detectorNeedsFit(spec: DeepReadonly<DetectorSpec>): boolean {
  const { descriptor, options } = parseDetectorSpec(spec);
  if (descriptor.needsFit === undefined) return false;
  const refuse = (what: string, cause?: unknown) =>
    new InvalidOptionsError(
      'needsFit',
      `detector type ${describeValue(spec.type)}: ${what}; fix the descriptor given to registerDetector`,
      cause === undefined ? undefined : { cause },
    );
  const rule = 'needsFit must return true or false synchronously';
  let result: unknown;
  try {
    result = descriptor.needsFit(options);
  } catch (cause) {
    throw refuse(
      `needsFit threw ${describeValue(cause instanceof Error ? cause.message : cause)}; ${rule}`,
      cause,
    );
  }
  if (typeof result === 'boolean') return result;
  throw refuse(`${rule}, got ${isThenable(result) ? 'Promise' : describeValue(result)}`);
}

/** Whether `value` is a Promise or another thenable (which a `needsFit` must not return). */
function isThenable(value: unknown): boolean {
  try {
    return (
      (typeof value === 'object' || typeof value === 'function') &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function'
    );
  } catch {
    return false;
  }
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
    if (detectorNeedsFit(d)) parts.push({ part: 'detector', index, name: specMemberName(d), type: d.type });
  });
  return parts;
}

/**
 * What {@link unfittedPartsOnLoad} found, and the models it keeps loaded.
 *
 * @internal
 */
export interface UnfittedCheck {
  /** Every part that cannot score until the ensemble is fitted: the spec's, then those that loading showed. */
  readonly parts: UnfittedPart[];
  /**
   * Gives back the models the check loaded. Call it (in a `finally`) once the detector that scores has loaded its
   * own in this process: that load then shares the check's, so the check adds no load. Safe to call more than once.
   */
  release(): Promise<void>;
}

/**
 * {@link unfittedParts}, plus the members whose model's files show that they cannot score until fitted: each member
 * that the spec did not flag and whose type can tell only by loading its model (`needsFitOnLoad`, e.g. `lora` given
 * a `model` with no classification head) is loaded, as detection would load it, so that one refusal lists every
 * part at fault. The models that loaded stay loaded until {@link UnfittedCheck.release}: the detector built next
 * in this process shares them, so the start-up still costs one load per model. The CLI, the service and the corpus
 * scorers run it before they read any data or listen. A load that fails for another reason is left to detection,
 * where the member fails as it did before.
 *
 * @param spec - an ensemble spec
 * @param options - `onProgress`: model-loading events of the loads (downloads included), for a progress bar;
 *   `beforeLoad`: runs once before the first model is loaded (not at all when none is), e.g. to check that the
 *   command's input files can be read, so that a wrong path is not reported only after a load
 * @throws InvalidOptionsError for a member of unknown type or with a bad option (naming it), or two members of one
 *   name (`createEnsemble`'s rule)
 * @throws what `beforeLoad` throws
 * @internal
 */
export async function unfittedPartsOnLoad(
  spec: DeepReadonly<EnsembleSpec>,
  options: { onProgress?: (p: LoadProgress) => void; beforeLoad?: () => Promise<void> } = {},
): Promise<UnfittedCheck> {
  const flagged = unfittedParts(spec);
  // createEnsemble would refuse it: never advise a fit (or load a model) for an ensemble that cannot be built.
  refuseDuplicateNames(spec.detectors.map(specMemberName));
  const parts = [...flagged];
  const releases: (() => Promise<void>)[] = [];
  const release = async (): Promise<void> => {
    for (const r of releases.splice(0)) await r();
  };
  try {
    for (const [index, d] of spec.detectors.entries()) {
      if (flagged.some((p) => p.part === 'detector' && p.index === index)) continue;
      const { descriptor, options: parsed } = parseDetectorSpec(d);
      const check = modelNeedsFitCheck(descriptor);
      if (check === undefined) continue;
      if (releases.length === 0) await options.beforeLoad?.();
      const found = await check({
        ...(parsed as Record<string, unknown>),
        ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
      });
      releases.push(() => found.release());
      if (found.reason !== undefined)
        parts.push({ part: 'detector', index, name: specMemberName(d), type: d.type, reason: found.reason });
    }
  } catch (err) {
    await release();
    throw err;
  }
  parts.sort((a, b) => partOrder(a) - partOrder(b));
  return { parts, release };
}

/** The strategy first, then the members in their order. */
function partOrder(p: UnfittedPart): number {
  return p.part === 'strategy' ? -1 : p.index;
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
      clauses.push(`the ${describeValue(p.strategy)} strategy learns its combiner from labelled data`);
    else members.push(p.name === p.type ? describeValue(p.name) : `${describeValue(p.name)} (${p.type})`);
  }
  const reasons = parts.flatMap((p) => (p.part === 'detector' && p.reason !== undefined ? [p] : []));
  if (members.length > 0) {
    const one = members.length === 1;
    clauses.push(
      `detector${one ? '' : 's'} ${members.join(', ')} ${one ? 'has' : 'have'} nothing to score with before ${one ? 'it is' : 'they are'} fitted${reasons.length === 0 ? '' : `: ${reasons.map((p) => (one ? p.reason : `for ${describeValue(p.name)}, ${p.reason}`)).join('; ')}`}`,
    );
  }
  return clauses.join(', and ');
}
