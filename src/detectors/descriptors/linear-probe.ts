import { linearProbeChecks } from '../linear-probe/linear-probe-checks.js';
import { modelDetector } from './model-detector.js';
import { checkedOption } from './option-fields.js';

/**
 * The `linear-probe` detector type (state kind `probe`): logistic regression over frozen sentence embeddings,
 * the distillation student.
 *
 * @internal
 */
export const linearProbeDescriptor = modelDetector({
  type: 'linear-probe',
  kind: 'probe',
  description: 'logistic regression over frozen sentence embeddings (the distillation student; needs fit)',
  options: {
    // Each checked by the constructor's own check, so a spec and `new LinearProbeDetector()` say the same.
    /** L2 penalty of the logistic regression. @defaultValue 1 */
    l2: checkedOption(linearProbeChecks.l2),
    /** Weigh the classes to balance them while fitting. @defaultValue true */
    balanceClasses: checkedOption(linearProbeChecks.balanceClasses),
  },
  // Its logistic head has no weights before fit().
  needsFit: () => true,
  load: async () => (await import('../linear-probe/linear-probe-detector.js')).LinearProbeDetector,
});
