import { describeValue } from '../core/describe-value.js';
import { sharedAcrossCopies } from '../core/shared-across-copies.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { checkDescriptor, type DetectorDescriptor } from './descriptor.js';
import { clipDescriptor } from './descriptors/clip.js';
import { embeddingDescriptor } from './descriptors/embedding.js';
import { fewshotDescriptor } from './descriptors/fewshot.js';
import { heuristicDescriptor } from './descriptors/heuristic.js';
import { linearProbeDescriptor } from './descriptors/linear-probe.js';
import { loraDescriptor } from './descriptors/lora.js';
import { nliDescriptor } from './descriptors/nli.js';
import { partnerContrastDescriptor } from './descriptors/partner-contrast.js';
import { perplexityDescriptor } from './descriptors/perplexity.js';

/** The state kind of a fitted ensemble, restored by the registry itself. */
export const ENSEMBLE_KIND = 'ensemble';

// The descriptors hold no model code: each imports its detector class when a detector is first built.
const BUILT_IN: readonly DetectorDescriptor[] = [
  heuristicDescriptor,
  nliDescriptor,
  fewshotDescriptor,
  perplexityDescriptor,
  clipDescriptor,
  loraDescriptor,
  embeddingDescriptor,
  linearProbeDescriptor,
  partnerContrastDescriptor,
] as readonly DetectorDescriptor[];

const builtInByType = new Map<string, DetectorDescriptor>(BUILT_IN.map((d) => [d.type, d]));
const builtInByKind = new Map<string, DetectorDescriptor>(BUILT_IN.map((d) => [d.kind ?? d.type, d]));

/**
 * The detector types the app registered, shared by every copy of this release in the process (see
 * `sharedAcrossCopies`): a type registered through `require('botlens')` is known to specs and saved states read
 * through `import('botlens')`. The built-in types stay each copy's own (each imports its own classes).
 */
const registered = sharedAcrossCopies('registered-detectors', () => ({
  byType: new Map<string, DetectorDescriptor>(),
  byKind: new Map<string, DetectorDescriptor>(),
}));

/** Options of {@link registerDetector}. */
export interface RegisterDetectorOptions {
  /**
   * Replace a detector type this app registered before (a built-in type is never replaced).
   * @defaultValue false
   */
  replace?: boolean;
}

/**
 * Adds a detector type to the registry, so specs (`botlens.config.json`, `createDetector`, `createEnsemble`)
 * can name it and fitted files holding its state load through `detectorFromFile` / `detectorFromState`, like a
 * built-in type. Register before loading; registration lasts for the process.
 *
 * @param descriptor - from {@link defineDetector}
 * @param options - see {@link RegisterDetectorOptions}
 * @throws InvalidOptionsError for a malformed descriptor, an unsupported `specificationVersion`, or a `type` or
 *   state `kind` that is already taken
 * @example
 * ```ts
 * registerDetector(lengthyDetector);
 * const d = await createDetector({ type: 'lengthy' });
 * const back = await detectorFromState(d.toJSON());
 * ```
 */
export function registerDetector(
  descriptor: DetectorDescriptor,
  options: RegisterDetectorOptions = {},
): void {
  checkDescriptor(descriptor);
  const kind = descriptor.kind ?? descriptor.type;
  for (const [name, value, builtIns, map] of [
    ['type', descriptor.type, builtInByType, registered.byType],
    ['kind', kind, builtInByKind, registered.byKind],
  ] as const) {
    const builtIn = builtIns.has(value);
    const taken = builtIns.get(value) ?? map.get(value);
    if (value === ENSEMBLE_KIND || builtIn || (taken !== undefined && options.replace !== true)) {
      throw new InvalidOptionsError(
        name,
        `"${value}" is already ${value === ENSEMBLE_KIND || builtIn ? 'a built-in detector' : 'registered'}: choose another ${name}${builtIn || value === ENSEMBLE_KIND ? '' : ', or pass { replace: true }'}`,
      );
    }
  }
  const { byType, byKind } = registered;
  if (options.replace === true) {
    for (const [t, d] of byType) if ((d.kind ?? d.type) === kind && t !== descriptor.type) byType.delete(t);
    const old = byType.get(descriptor.type);
    if (old) byKind.delete(old.kind ?? old.type);
  }
  byType.set(descriptor.type, descriptor);
  byKind.set(kind, descriptor);
}

/**
 * Every detector type the registry knows: the built-in ones first, then those registered by the app.
 *
 * @example
 * ```ts
 * registeredDetectorTypes(); // ['heuristic', 'nli', 'fewshot', ..., 'lengthy']
 * ```
 */
export function registeredDetectorTypes(): string[] {
  return [...builtInByType.keys(), ...registered.byType.keys()];
}

/**
 * The descriptor of a detector type.
 *
 * @param type - the spec `type`
 * @throws InvalidOptionsError naming the registered types when there is none
 *
 * @internal
 */
export function descriptorForType(type: unknown): DetectorDescriptor {
  const d = typeof type === 'string' ? (builtInByType.get(type) ?? registered.byType.get(type)) : undefined;
  if (!d) {
    throw new InvalidOptionsError(
      'type',
      `${describeValue(type)} is not a detector type; use one of ${registeredDetectorTypes().join(', ')}, or registerDetector() your own first`,
    );
  }
  return d;
}

/**
 * The descriptor that restores saved states of `kind`.
 *
 * @param kind - `state.kind`
 * @throws InvalidOptionsError naming the known kinds when there is none
 *
 * @internal
 */
export function descriptorForKind(kind: unknown): DetectorDescriptor {
  const d = typeof kind === 'string' ? (builtInByKind.get(kind) ?? registered.byKind.get(kind)) : undefined;
  if (!d) {
    throw new InvalidOptionsError(
      'kind',
      `saved state has kind ${describeValue(kind)}, which no detector type restores (${[ENSEMBLE_KIND, ...builtInByKind.keys(), ...registered.byKind.keys()].join(', ')}): register its detector type with registerDetector() before loading`,
    );
  }
  return d;
}

/**
 * True for the types botlens ships.
 *
 * @internal
 */
export function isBuiltInType(type: string): boolean {
  return builtInByType.has(type);
}
