import { z } from 'zod';
import type { LinearProbeDetector } from '../../peft/linear-probe.js';
import { defineDetector } from '../descriptor.js';
import {
  commonOptionFields,
  definedOnly,
  MODEL_CLI_FLAGS,
  modelOptionFields,
  savedModelOptions,
} from './option-fields.js';

/**
 * The `linear-probe` detector type: logistic regression over frozen sentence embeddings (the distillation student; needs fit).
 *
 * @internal
 */
export const linearProbeDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'linear-probe',
  kind: 'probe',
  description: 'logistic regression over frozen sentence embeddings (the distillation student; needs fit)',
  optionsSchema: z.strictObject({
    ...commonOptionFields('linear-probe'),
    ...modelOptionFields,
    l2: z.number().nonnegative().optional(),
    balanceClasses: z.boolean().optional(),
  }),
  stateVersion: 1,
  cliFlags: MODEL_CLI_FLAGS,
  async create(options): Promise<LinearProbeDetector> {
    const { LinearProbeDetector } = await import('../../peft/linear-probe.js');
    return new LinearProbeDetector(definedOnly(options));
  },
  async restore(state, { load }): Promise<LinearProbeDetector> {
    const { LinearProbeDetector } = await import('../../peft/linear-probe.js');
    return LinearProbeDetector.fromJSON(state, savedModelOptions(state, load));
  },
});
