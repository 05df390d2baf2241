import type { Detector } from '../core/detector.js';
import { createEnsemble, detectorFromState, readDetectorStateFile } from '../detectors/registry.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { absoluteDir } from '../runtime/local-path.js';
import type { ScoringDetector } from './types.js';

/**
 * Builds the detector a {@link ScoringDetector} describes (in the thread or process that will run it). Every
 * scorer goes through it: this thread, worker threads and queue workers (which get {@link sendableScoringDetector}'s
 * form of the same detector), so each applies the same load options.
 *
 * @throws InvalidOptionsError when `source` has none of `ensemble`, `state`, `file`
 * @example
 * ```ts
 * const d = await buildScoringDetector({ ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] } });
 * ```
 */
export async function buildScoringDetector(source: ScoringDetector): Promise<Detector> {
  if ('ensemble' in source) return createEnsemble(source.ensemble);
  if ('state' in source) return detectorFromState(source.state, source.options ?? {});
  if ('file' in source)
    return detectorFromState(await readDetectorStateFile(source.file), source.options ?? {});
  throw new InvalidOptionsError('detector', 'give { ensemble }, { state } or { file }');
}

/**
 * The same detector as `source`, for a process on another machine to build with {@link buildScoringDetector}: a
 * `{ file }` is read here and sent as its state, with its load options (threshold, prior, model folder...) kept
 * and a relative `modelDir` or `cacheDir` made absolute (the folders this process means).
 *
 * @param source - what the corpus is scored with
 * @throws BotlensError with code `READ_FAILED` when a `{ file }` cannot be read
 * @internal
 */
export async function sendableScoringDetector(source: ScoringDetector): Promise<ScoringDetector> {
  if (!('file' in source) && !('state' in source)) return source;
  const state = 'file' in source ? await readDetectorStateFile(source.file) : source.state;
  const { modelDir, cacheDir, ...rest } = source.options ?? {};
  const options = {
    ...rest,
    ...(typeof modelDir === 'string' && modelDir !== '' && { modelDir: absoluteDir(modelDir) }),
    ...(typeof cacheDir === 'string' && cacheDir !== '' && { cacheDir: absoluteDir(cacheDir) }),
  };
  return { state, ...(Object.keys(options).length > 0 && { options }) };
}

/** How a worker thread marks the failure to build its detector, for the main thread to report it as such. */
export const THREAD_BUILD_FAILURE = 'botlens worker thread cannot build the detector: ';

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
