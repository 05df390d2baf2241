import { z } from 'zod';
import { defineDetector } from '../descriptor.js';
import type { PerplexityDiversityDetector } from '../perplexity/perplexity-diversity-detector.js';
import {
  commonOptionFields,
  definedOnly,
  MODEL_CLI_FLAGS,
  modelOptionFields,
  savedModelOptions,
} from './option-fields.js';

/**
 * The `perplexity` detector type: how predictable the text is to a causal language model, and how varied.
 *
 * @internal
 */
export const perplexityDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'perplexity',
  description: 'perplexity under a causal language model and lexical diversity (needs fit)',
  optionsSchema: z.strictObject({
    ...commonOptionFields('perplexity'),
    ...modelOptionFields,
    l2: z.number().nonnegative().optional(),
    windowTokens: z.number().int().min(2).optional(),
    stride: z.number().int().min(1).optional(),
  }),
  stateVersion: 1,
  cliFlags: MODEL_CLI_FLAGS,
  async create(options): Promise<PerplexityDiversityDetector> {
    const { PerplexityDiversityDetector } = await import('../perplexity/perplexity-diversity-detector.js');
    return new PerplexityDiversityDetector(definedOnly(options));
  },
  async restore(state, { load }): Promise<PerplexityDiversityDetector> {
    const { PerplexityDiversityDetector } = await import('../perplexity/perplexity-diversity-detector.js');
    return PerplexityDiversityDetector.fromJSON(state, {
      ...savedModelOptions(state, load),
      ...(state['observer'] !== undefined && { observer: savedModelOptions(state, load, 'observer') }),
      ...(state['performer'] !== undefined && { performer: savedModelOptions(state, load, 'performer') }),
    });
  },
});
