import { z } from 'zod';
import { defineDetector } from '../descriptor.js';
import { nliDetectorOptionsSchema } from '../nli/nli-options.js';
import type { NliZeroShotDetector } from '../nli/nli-zero-shot-detector.js';
import { definedOnly, MODEL_CLI_FLAGS, modelOptionFields, savedModelOptions } from './option-fields.js';

/**
 * The `nli` detector type: zero-shot natural-language inference ("this speaker is a bot").
 *
 * @internal
 */
export const nliDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'nli',
  description: 'zero-shot natural-language inference ("this speaker is a bot")',
  optionsSchema: z.strictObject({
    ...nliDetectorOptionsSchema.shape,
    ...modelOptionFields,
    batchSize: z.number().int().positive().optional(),
    maxBatchTokens: z.number().int().positive().optional(),
    maxLength: z.number().int().min(8).optional(),
  }),
  stateVersion: 1,
  cliFlags: MODEL_CLI_FLAGS,
  async create(options): Promise<NliZeroShotDetector> {
    const { NliZeroShotDetector } = await import('../nli/nli-zero-shot-detector.js');
    return new NliZeroShotDetector(definedOnly(options));
  },
  async restore(state, { load }): Promise<NliZeroShotDetector> {
    const { NliZeroShotDetector } = await import('../nli/nli-zero-shot-detector.js');
    return NliZeroShotDetector.fromJSON(state, savedModelOptions(state, load));
  },
});
