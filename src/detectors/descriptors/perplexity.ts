import { checkL2 } from '../../core/detector-kit.js';
import { lmWindowChecks } from '../../runtime/causal-lm/window-checks.js';
import { modelDetector } from './model-detector.js';
import { checkedOption, savedModelOptions } from './option-fields.js';

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
    // Each checked by the constructor's own check, so a spec and `new PerplexityDiversityDetector()` say the same.
    /** L2 penalty of the fit. @defaultValue 1 */
    l2: checkedOption(checkL2),
    /** Tokens per scoring window. @defaultValue the model's context, at most 1024 */
    windowTokens: checkedOption(lmWindowChecks.windowTokens),
    /** How far each window moves. @defaultValue half of windowTokens */
    stride: checkedOption(lmWindowChecks.stride),
  },
  load: async () =>
    (await import('../perplexity/perplexity-diversity-detector.js')).PerplexityDiversityDetector,
  overrides: (state, where) => ({
    ...savedModelOptions(state, where),
    ...(state['observer'] !== undefined && { observer: savedModelOptions(state, where, 'observer') }),
    ...(state['performer'] !== undefined && { performer: savedModelOptions(state, where, 'performer') }),
  }),
});
