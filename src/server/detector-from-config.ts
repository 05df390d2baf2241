import type { Detector } from '../core/detector.js';
import type { DetectorLoadOptions } from '../detectors/descriptor.js';
import { createEnsemble, detectorFromFile } from '../detectors/registry.js';
import type { ServiceConfig } from './config.js';

/**
 * Builds the detector a service config describes: the fitted file (loaded as `botlens detect --model fitted.json`
 * loads it, with the config's `threshold`, `prior` and `modelDir`), the ensemble, or the heuristic alone.
 *
 * @param config - a parsed config (see `loadServiceConfig`)
 * @throws InvalidOptionsError when the fitted file cannot honour an option (a prior for a detector that is not a
 *   fitted stacking ensemble, a `modelDir` that is not a folder)
 */
export async function detectorFromConfig(config: ServiceConfig): Promise<Detector> {
  if (config.fitted) {
    const { threshold, prior, modelDir } = config;
    const options: DetectorLoadOptions = {
      ...(threshold !== undefined && { threshold }),
      ...(prior !== undefined && { prior }),
      ...(modelDir !== undefined && { modelDir }),
    };
    return detectorFromFile(config.fitted, options);
  }
  return createEnsemble(config.ensemble ?? { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] });
}
