import { z } from 'zod';
import { defineDetector } from '../descriptor.js';
import type { FewShotPromptDetector } from '../few-shot/few-shot-prompt-detector.js';
import {
  commonOptionFields,
  definedOnly,
  MODEL_CLI_FLAGS,
  modelOptionFields,
  savedModelOptions,
} from './option-fields.js';

/**
 * The `fewshot` detector type: a causal language model asked, with labelled examples in the prompt, whether the speaker is a bot.
 *
 * @internal
 */
export const fewshotDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'fewshot',
  description:
    'a causal language model asked, with labelled examples in the prompt, whether the speaker is a bot',
  optionsSchema: z.strictObject({
    ...commonOptionFields('fewshot'),
    ...modelOptionFields,
  }),
  stateVersion: 1,
  cliFlags: MODEL_CLI_FLAGS,
  async create(options): Promise<FewShotPromptDetector> {
    const { FewShotPromptDetector } = await import('../few-shot/few-shot-prompt-detector.js');
    return new FewShotPromptDetector(definedOnly(options));
  },
  async restore(state, { load }): Promise<FewShotPromptDetector> {
    const { FewShotPromptDetector } = await import('../few-shot/few-shot-prompt-detector.js');
    return FewShotPromptDetector.fromJSON(state, savedModelOptions(state, load));
  },
});
