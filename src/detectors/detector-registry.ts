import { describeValue } from '../core/describe-value.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
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

/** Detector types the app registered through one copy of botlens, by spec `type` and by state `kind`. */
interface Registrations {
  byType: Map<string, DetectorDescriptor>;
  byKind: Map<string, DetectorDescriptor>;
}

/** The types the app registered through this copy. Clashes are checked against these and the built-in ones. */
const registered: Registrations = { byType: new Map(), byKind: new Map() };

/**
 * The registrations of every copy of this release in the process (see `sharedAcrossCopies`), this copy's among
 * them: a type registered through `require('botlens')` is known to specs and saved states read through
 * `import('botlens')`. Each copy keeps its own, so a plugin built for both module systems may register its type
 * once in each copy, as it could before. The built-in types stay each copy's own (each imports its own classes).
 */
const everyCopy = sharedAcrossCopies('registered-detector-sets', () => [] as Registrations[]);
everyCopy.push(registered);

/** The descriptor registered under `key` in `pick` of this copy, else of the other copies in registration order. */
function registeredAs(
  key: string,
  pick: (r: Registrations) => Map<string, DetectorDescriptor>,
): DetectorDescriptor | undefined {
  const mine = pick(registered).get(key);
  if (mine !== undefined) return mine;
  for (const r of everyCopy) {
    const d = pick(r).get(key);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** Every registered key of `pick`, across the copies, without repeats. */
function registeredKeys(pick: (r: Registrations) => Map<string, DetectorDescriptor>): string[] {
  return [...new Set([registered, ...everyCopy].flatMap((r) => [...pick(r).keys()]))];
}

/** Options of {@link registerDetector}. */
export interface RegisterDetectorOptions {
  /**
   * Replace a detector type this app registered before (a built-in type is never replaced).
   * @defaultValue false
   */
  replace?: boolean;
}

const REGISTER_DETECTOR_OPTION_KEYS: OptionKeys<RegisterDetectorOptions> = { replace: true };

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
  refuseUnknownKeys(options, REGISTER_DETECTOR_OPTION_KEYS, 'the options of registerDetector()');
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
 * How to make a custom detector type known, for the errors that name an unknown type or saved kind: in the CLI the
 * registration must run in its own process.
 * @internal
 */
export const REGISTER_HINT =
  'a custom type must be registered with registerDetector in this process: NODE_OPTIONS="--import ./register.mjs" for the CLI (see the guide, "Writing your own detector")';

/**
 * Every detector type the registry knows: the built-in ones first, then those registered by the app.
 *
 * @example
 * ```ts
 * registeredDetectorTypes(); // ['heuristic', 'nli', 'fewshot', ..., 'lengthy']
 * ```
 */
export function registeredDetectorTypes(): string[] {
  return [...builtInByType.keys(), ...registeredKeys((r) => r.byType)];
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
  const d =
    typeof type === 'string' ? (builtInByType.get(type) ?? registeredAs(type, (r) => r.byType)) : undefined;
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
  const d =
    typeof kind === 'string' ? (builtInByKind.get(kind) ?? registeredAs(kind, (r) => r.byKind)) : undefined;
  if (!d) {
    throw new InvalidOptionsError(
      'kind',
      `saved state has kind ${describeValue(kind)}, which no detector type restores (${[ENSEMBLE_KIND, ...builtInByKind.keys(), ...registeredKeys((r) => r.byKind)].join(', ')}): ${REGISTER_HINT}`,
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
