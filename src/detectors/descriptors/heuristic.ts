import { z } from 'zod';
import { checkEvidenceShrinkage, checkL2 } from '../../core/detector-kit.js';
import { defineDetector } from '../descriptor.js';
import type { HeuristicDetector } from '../heuristic/heuristic-detector.js';
import { checkedOption, commonOptionFields, styleFeatureOptionFields } from './option-fields.js';

/**
 * The `heuristic` detector type: hand-written style and timing features, no model.
 *
 * @internal
 */
export const heuristicDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'heuristic',
  description: 'style and timing features of the messages (no model)',
  optionsSchema: z.strictObject({
    ...commonOptionFields('heuristic'),
    ...styleFeatureOptionFields,
    /** The L2 penalty of `fit()`'s logistic regression. @defaultValue 1 */
    l2: checkedOption(checkL2),
    /** Pulls the signals toward the baseline when the target has few messages; 0 = off. @defaultValue 0 */
    evidenceShrinkage: checkedOption(checkEvidenceShrinkage),
  }),
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
