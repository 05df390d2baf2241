import { descriptorForKind, descriptorForType, ENSEMBLE_KIND } from '../../detectors/detector-registry.js';

/** How many objects of a stored detector are walked for its types, at most (a fitted state may hold large arrays). */
const MAX_WALKED = 1_000_000;

/**
 * The detector types a stored detector uses, as this process has them registered: one `type@stateVersion` entry
 * per type (with the oldest state version it reads, and its kind, when they differ), sorted. It is found by walking
 * the JSON for the `type` of specs and the `kind` of states; a name this process has not registered is left out (a
 * worker that lacks a type fails to build the detector, saying so). A producer sends this with every job, and a
 * worker that builds the detector compares its own: a type registered in another version there (a different
 * `stateVersion`) would score differently, so the worker refuses the run's jobs instead.
 *
 * @param stored - what the producer stores for the workers (see `storedDetector`)
 * @internal
 */
export function detectorTypes(stored: unknown): string[] {
  const found = new Set<string>();
  const stack: unknown[] = [stored];
  for (let walked = 0; stack.length > 0 && walked < MAX_WALKED; walked++) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null) continue;
    if (Array.isArray(x)) {
      // Arrays of numbers (vectors, weights) hold no types.
      if (x.length > 0 && typeof x[0] !== 'object') continue;
      for (const v of x) stack.push(v);
      continue;
    }
    const o = x as Record<string, unknown>;
    for (const [key, lookup] of [
      ['type', descriptorForType],
      ['kind', descriptorForKind],
    ] as const) {
      const name = o[key];
      if (typeof name !== 'string' || name === ENSEMBLE_KIND) continue;
      try {
        const d = lookup(name);
        const kind = d.kind ?? d.type;
        const oldest = d.oldestStateVersion ?? d.stateVersion;
        found.add(
          `${d.type}@${d.stateVersion}${oldest === d.stateVersion ? '' : ` (reads from ${oldest})`}${kind === d.type ? '' : ` (kind ${kind})`}`,
        );
      } catch {
        // not a registered type here
      }
    }
    for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) stack.push(v);
  }
  return [...found].sort();
}
