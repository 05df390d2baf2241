import { z } from 'zod';
import { nliDetectorOptionsSchema } from '../nli/nli-options.js';
import { modelDetector } from './model-detector.js';

/**
 * The `nli` detector type: zero-shot natural-language inference ("this speaker is a bot"). Its own options come
 * from the schema the detector's constructor reads.
 *
 * @internal
 */
export const nliDescriptor = modelDetector({
  type: 'nli',
  description: 'zero-shot natural-language inference ("this speaker is a bot")',
  options: {
    ...nliDetectorOptionsSchema.shape,
    batchSize: z.number().int().positive().optional(),
    maxBatchTokens: z.number().int().positive().optional(),
    maxLength: z.number().int().min(8).optional(),
  },
  load: async () => (await import('../nli/nli-zero-shot-detector.js')).NliZeroShotDetector,
});
