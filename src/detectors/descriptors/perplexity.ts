import { z } from 'zod';
import { modelDetector } from './model-detector.js';
import { savedModelOptions } from './option-fields.js';

/**
 * The `perplexity` detector type: how predictable the text is to a causal language model, and how varied. Its
 * observer and performer models are relocated like the main one.
 *
 * @internal
 */
export const perplexityDescriptor = modelDetector({
  type: 'perplexity',
  description: 'perplexity under a causal language model and lexical diversity (needs fit)',
  options: {
    l2: z.number().nonnegative().optional(),
    windowTokens: z.number().int().min(2).optional(),
    stride: z.number().int().min(1).optional(),
  },
  load: async () =>
    (await import('../perplexity/perplexity-diversity-detector.js')).PerplexityDiversityDetector,
  overrides: (state, where) => ({
    ...savedModelOptions(state, where),
    ...(state['observer'] !== undefined && { observer: savedModelOptions(state, where, 'observer') }),
    ...(state['performer'] !== undefined && { performer: savedModelOptions(state, where, 'performer') }),
  }),
});
