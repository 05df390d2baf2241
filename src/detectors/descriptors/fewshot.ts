import { modelDetector } from './model-detector.js';

/**
 * The `fewshot` detector type: a causal language model asked, with labelled examples in the prompt, whether the
 * speaker is a bot.
 *
 * @internal
 */
export const fewshotDescriptor = modelDetector({
  type: 'fewshot',
  description:
    'a causal language model asked, with labelled examples in the prompt, whether the speaker is a bot',
  options: {},
  // Its prompt's labelled examples come from fit(): a spec cannot carry them.
  needsFit: () => true,
  load: async () => (await import('../few-shot/few-shot-prompt-detector.js')).FewShotPromptDetector,
});
