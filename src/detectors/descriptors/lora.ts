import { modelDetector } from './model-detector.js';

/**
 * The `lora` detector type: a sequence classifier fine-tuned with LoRA adapters.
 *
 * @internal
 */
export const loraDescriptor = modelDetector({
  type: 'lora',
  description: 'a sequence classifier fine-tuned with LoRA adapters',
  options: {},
  load: async () => (await import('../lora/lora-classifier-detector.js')).LoraClassifierDetector,
});
