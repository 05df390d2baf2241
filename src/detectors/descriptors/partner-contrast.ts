import { z } from 'zod';
import { defineDetector } from '../descriptor.js';
import type { PartnerContrastDetector } from '../heuristic/partner-contrast-detector.js';
import {
  PARTNER_CONTRAST_STATE_VERSIONS,
  partnerContrastChecks,
} from '../heuristic/partner-contrast-options.js';
import { checkedOption, commonOptionFields, styleFeatureOptionFields } from './option-fields.js';

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
    ...styleFeatureOptionFields,
    // Each checked by the constructor's own check, so a spec and `new PartnerContrastDetector()` say the same.
    /** L2 penalty of the fit. @defaultValue 1 */
    l2: checkedOption(partnerContrastChecks.l2),
    /** Synthetic human–human pairs per human example in the fit (0 to 10). @defaultValue 0 */
    humanPairs: checkedOption(partnerContrastChecks.humanPairs),
    /** Weigh bots and humans the same in the fit. @defaultValue false */
    balanceClasses: checkedOption(partnerContrastChecks.balanceClasses),
    /** Style signals also read as the target's own value. @defaultValue [] */
    targetSignals: checkedOption(partnerContrastChecks.targetSignals),
  }),
  // Version 2 when the state holds targetSignals, else 1 (see PartnerContrastDetector.toJSON).
  stateVersion: PARTNER_CONTRAST_STATE_VERSIONS.targetSignals,
  oldestStateVersion: PARTNER_CONTRAST_STATE_VERSIONS.oldest,
  // It has no hand-set weights: its logistic regression is learned by fit().
  needsFit: () => true,
  async create(options): Promise<PartnerContrastDetector> {
    const { PartnerContrastDetector } = await import('../heuristic/partner-contrast-detector.js');
    return new PartnerContrastDetector(options);
  },
  async restore(state): Promise<PartnerContrastDetector> {
    const { PartnerContrastDetector } = await import('../heuristic/partner-contrast-detector.js');
    return PartnerContrastDetector.fromJSON(state);
  },
});
