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
  // A failed load is held too: detection then meets the same error without trying again (hub retries included).
  needsFitOnLoad: async (options) => {
    const detector = new (await loadClass())(definedOnly(options));
    // Options the loader refuses (a malformed id) meet the member at detection, as before, not here.
    let hold = async (): Promise<void> => undefined;
    try {
      hold = detector.holdUnfittedLoad();
    } catch {}
    const release = async (): Promise<void> => {
      await detector.dispose();
      await hold();
    };
    try {
      await detector.load();
      return { reason: undefined, release };
    } catch (err) {
      if (!NotFittedError.isInstance(err)) return { reason: undefined, release };
      // Only the missing head is a need for a fit; any other load failure meets the member at detection, as before.
      await release();
      return {
        reason: `its model ${describeValue(options['model'])} has no classification head; one that has a head scores unfitted`,
        release: async () => undefined,
      };
    }
  },
  load: loadClass,
});
