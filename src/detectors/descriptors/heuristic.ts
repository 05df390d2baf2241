import { z } from 'zod';
import { defineDetector } from '../descriptor.js';
import type { HeuristicDetector } from '../heuristic/heuristic-detector.js';
import { commonOptionFields, styleFeatureOptionFields } from './option-fields.js';

/**
 * The `heuristic` detector type: hand-written style and timing features, no model.
 *
 * @internal
 */
export const heuristicDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'heuristic',
  description: 'style and timing features of the messages (no model)',
  optionsSchema: z.strictObject({ ...commonOptionFields('heuristic'), ...styleFeatureOptionFields }),
  stateVersion: 1,
  async create(options): Promise<HeuristicDetector> {
    const { HeuristicDetector } = await import('../heuristic/heuristic-detector.js');
    return new HeuristicDetector(options);
  },
  async restore(state): Promise<HeuristicDetector> {
    const { HeuristicDetector } = await import('../heuristic/heuristic-detector.js');
    return HeuristicDetector.fromJSON(state);
  },
});
