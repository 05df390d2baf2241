import { describeValue } from '../../core/describe-value.js';
import { NotFittedError } from '../../errors/not-fitted-error.js';
import { modelDetector } from './model-detector.js';
import { definedOnly } from './option-fields.js';

/** Imports the class on first use, so no model code loads before. */
const loadClass = async () => (await import('../lora/lora-classifier-detector.js')).LoraClassifierDetector;

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
  // cannot carry adapters. A model given in the spec may be a classifier that scores as it is, or a bare encoder,
  // which only its files tell: needsFitOnLoad loads it as detection would.
  needsFit: (options) => options['model'] === undefined,
  // The loaded detector is kept until the start-up releases it, so the detector that scores shares this load.
  needsFitOnLoad: async (options) => {
    const detector = new (await loadClass())(definedOnly(options));
    try {
      await detector.load();
      return { reason: undefined, release: () => detector.dispose() };
    } catch (err) {
      await detector.dispose();
      // Only the missing head is a need for a fit; any other load failure meets the member at detection, as before.
      const reason = NotFittedError.isInstance(err)
        ? `its model ${describeValue(options['model'])} has no classification head; one that has a head scores unfitted`
        : undefined;
      return { reason, release: async () => undefined };
    }
  },
  load: loadClass,
});
