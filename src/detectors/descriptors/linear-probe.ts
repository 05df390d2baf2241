import { z } from 'zod';
import { modelDetector } from './model-detector.js';

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
    l2: z.number().nonnegative().optional(),
    balanceClasses: z.boolean().optional(),
  },
  load: async () => (await import('../linear-probe/linear-probe-detector.js')).LinearProbeDetector,
});
