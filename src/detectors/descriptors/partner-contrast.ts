import { z } from 'zod';
import { numberSchema } from '../../core/number-range.js';
import { defineDetector } from '../descriptor.js';
import type { PartnerContrastDetector } from '../heuristic/partner-contrast-detector.js';
import { MAX_HUMAN_PAIRS } from '../heuristic/partner-contrast-options.js';
import { commonOptionFields } from './option-fields.js';

/**
 * The `partner-contrast` detector type: the target's style signals minus its partner's, weighed by a fitted
 * logistic regression (no model; needs `fit()`).
 *
 * @internal
 */
export const partnerContrastDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'partner-contrast',
  description: "the target's style compared with its partner's (no model; fitted)",
  optionsSchema: z.strictObject({
    ...commonOptionFields('partner-contrast'),
    /** L2 penalty of the fit. @defaultValue 1 */
    l2: numberSchema({ min: 0, max: Number.POSITIVE_INFINITY }, 'l2 must be a number >= 0').optional(),
    /** Synthetic human–human pairs per human example in the fit (0 to 10). @defaultValue 0 */
    humanPairs: numberSchema(
      { min: 0, max: MAX_HUMAN_PAIRS },
      `humanPairs must be a number from 0 to ${MAX_HUMAN_PAIRS}`,
    ).optional(),
    /** Weigh bots and humans the same in the fit. @defaultValue false */
    balanceClasses: z.boolean({ error: 'balanceClasses must be true or false' }).optional(),
  }),
  stateVersion: 1,
  async create(options): Promise<PartnerContrastDetector> {
    const { PartnerContrastDetector } = await import('../heuristic/partner-contrast-detector.js');
    return new PartnerContrastDetector(options);
  },
  async restore(state): Promise<PartnerContrastDetector> {
    const { PartnerContrastDetector } = await import('../heuristic/partner-contrast-detector.js');
    return PartnerContrastDetector.fromJSON(state);
  },
});
