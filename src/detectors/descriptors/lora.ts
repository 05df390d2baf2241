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
  // The zoo default (MODEL_ZOO's lora entry) is an encoder base whose classification head fit() trains; a spec
  // cannot carry adapters. A model given in the spec may be a classifier that scores as it is.
  needsFit: (options) => options['model'] === undefined,
  load: async () => (await import('../lora/lora-classifier-detector.js')).LoraClassifierDetector,
});
