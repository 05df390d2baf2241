import { z } from 'zod';
import { defineDetector } from '../descriptor.js';
import type { LoraClassifierDetector } from '../lora/lora-classifier-detector.js';
import {
  commonOptionFields,
  definedOnly,
  MODEL_CLI_FLAGS,
  modelOptionFields,
  savedModelOptions,
} from './option-fields.js';

/**
 * The `lora` detector type: a sequence classifier fine-tuned with LoRA adapters.
 *
 * @internal
 */
export const loraDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'lora',
  description: 'a sequence classifier fine-tuned with LoRA adapters',
  optionsSchema: z.strictObject({
    ...commonOptionFields('lora'),
    ...modelOptionFields,
  }),
  stateVersion: 1,
  cliFlags: MODEL_CLI_FLAGS,
  async create(options): Promise<LoraClassifierDetector> {
    const { LoraClassifierDetector } = await import('../lora/lora-classifier-detector.js');
    return new LoraClassifierDetector(definedOnly(options));
  },
  async restore(state, { load }): Promise<LoraClassifierDetector> {
    const { LoraClassifierDetector } = await import('../lora/lora-classifier-detector.js');
    return LoraClassifierDetector.fromJSON(state, savedModelOptions(state, load));
  },
});
