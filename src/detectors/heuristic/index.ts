export { DEFAULT_HEURISTIC_WEIGHTS } from './default-weights.js';
export type { CompleteHeuristicWeights, FeatureWeight, HeuristicWeights } from './feature-model.js';
export { HeuristicDetector, type HeuristicDetectorOptions } from './heuristic-detector.js';
export {
  STYLE_FEATURE_NAMES,
  type StyleCounts,
  type StyleFeatureName,
  type StyleFeatureOptions,
  type StyleFeatures,
  TEXT_FEATURE_NAMES,
  TIMING_FEATURE_NAMES,
} from './style-feature-types.js';
export { computeStyleFeatures } from './style-features.js';
