import type { Detector } from '../core/detector.js';
import { createEnsemble, detectorFromFile, detectorFromState } from '../detectors/registry.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { ScoringDetector } from './types.js';

/**
 * Builds the detector a {@link ScoringDetector} describes (in the thread or process that will run it).
 *
 * @throws InvalidOptionsError when `source` has none of `ensemble`, `state`, `file`
 * @example
 * ```ts
 * const d = await buildScoringDetector({ ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] } });
 * ```
 */
export async function buildScoringDetector(source: ScoringDetector): Promise<Detector> {
  if ('ensemble' in source) return createEnsemble(source.ensemble);
  if ('state' in source) return detectorFromState(source.state);
  if ('file' in source) return detectorFromFile(source.file, source.options ?? {});
  throw new InvalidOptionsError('detector', 'give { ensemble }, { state } or { file }');
}

/** Builds each detector once per key (per thread or process) and reuses it. */
export class DetectorCache {
  private readonly built = new Map<string, Promise<Detector>>();

  /**
   * The detector stored under `key`, built with `load()` on first use (a failed build is retried next time).
   *
   * @param key - identifies the detector
   * @param load - fetches its {@link ScoringDetector}
   */
  get(key: string, load: () => Promise<ScoringDetector> | ScoringDetector): Promise<Detector> {
    let d = this.built.get(key);
    if (!d) {
      d = (async () => buildScoringDetector(await load()))();
      d.catch(() => this.built.delete(key));
      this.built.set(key, d);
    }
    return d;
  }

  /** Disposes every detector built. */
  async dispose(): Promise<void> {
    const all = [...this.built.values()];
    this.built.clear();
    for (const p of all) {
      const d = await p.catch(() => undefined);
      await d?.dispose?.();
    }
  }
}
