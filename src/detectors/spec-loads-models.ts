import { loadsModel } from './descriptors/model-detector.js';
import { descriptorForType } from './detector-registry.js';
import type { EnsembleSpec } from './detector-spec.js';

/**
 * Whether building `spec` loads a model through transformers.js: one of its members is a model-backed type (or an
 * `embedding` member with the transformers embedder). A member of an unknown type, or with options its type
 * refuses, counts as loading none (building the spec says what is wrong with it).
 *
 * @param spec - an ensemble spec
 * @internal
 */
export function specLoadsModels(spec: Pick<EnsembleSpec, 'detectors'>): boolean {
  return spec.detectors.some(({ type, ...options }) => {
    try {
      return loadsModel(descriptorForType(type), options);
    } catch {
      return false; // an unknown type: its error comes from building the spec
    }
  });
}
