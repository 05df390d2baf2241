import { z } from 'zod';
import { defineDetector } from '../descriptor.js';
import type { NliZeroShotDetector } from '../nli-zero-shot.js';
import {
  commonOptionFields,
  definedOnly,
  MODEL_CLI_FLAGS,
  modelOptionFields,
  savedModelOptions,
} from './option-fields.js';

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
    ...commonOptionFields('nli'),
    ...modelOptionFields,
    hypothesisTemplate: z
      .string()
      .refine((s) => s.includes('{}'), {
        error: 'hypothesisTemplate must contain "{}", where the label word goes',
      })
      .optional(),
    labels: z
      .strictObject({ human: z.string().trim().min(1).optional(), bot: z.string().trim().min(1).optional() })
      .optional(),
    contextTurns: z.number().int().min(0).max(50).optional(),
    l2: z.number().nonnegative().optional(),
    batchSize: z.number().int().positive().optional(),
    maxBatchTokens: z.number().int().positive().optional(),
    maxLength: z.number().int().min(2).optional(),
  }),
  stateVersion: 1,
  cliFlags: MODEL_CLI_FLAGS,
  async create(options): Promise<NliZeroShotDetector> {
    const { NliZeroShotDetector } = await import('../nli-zero-shot.js');
    return new NliZeroShotDetector(definedOnly(options));
  },
  async restore(state, { load }): Promise<NliZeroShotDetector> {
    const { NliZeroShotDetector } = await import('../nli-zero-shot.js');
    return NliZeroShotDetector.fromJSON(state, savedModelOptions(state, load));
  },
});
