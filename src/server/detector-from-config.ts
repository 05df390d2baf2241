import type { Detector } from '../core/detector.js';
import { createEnsemble, detectorFromFile } from '../detectors/registry.js';
import type { ServiceConfig } from './config.js';

/** Builds the detector a service config describes: the fitted file, the ensemble, or the heuristic alone. */
export async function detectorFromConfig(config: ServiceConfig): Promise<Detector> {
  if (config.fitted) {
    return detectorFromFile(config.fitted, config.prior !== undefined ? { prior: config.prior } : {});
  }
  return createEnsemble(config.ensemble ?? { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] });
}
