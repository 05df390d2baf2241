import { z } from 'zod';
import type { ClipConsistencyDetector } from '../clip/clip-consistency-detector.js';
import { defineDetector } from '../descriptor.js';
import {
  commonOptionFields,
  definedOnly,
  MODEL_CLI_FLAGS,
  modelOptionFields,
  savedModelOptions,
} from './option-fields.js';

/**
 * The `clip` detector type: CLIP agreement between the profile picture and what the speaker writes.
 *
 * @internal
 */
export const clipDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'clip',
  description: 'CLIP agreement between the profile picture and what the speaker writes',
  optionsSchema: z.strictObject({
    ...commonOptionFields('clip'),
    ...modelOptionFields,
  }),
  stateVersion: 1,
  cliFlags: MODEL_CLI_FLAGS,
  async create(options): Promise<ClipConsistencyDetector> {
    const { ClipConsistencyDetector } = await import('../clip/clip-consistency-detector.js');
    return new ClipConsistencyDetector(definedOnly(options));
  },
  async restore(state, { load }): Promise<ClipConsistencyDetector> {
    const { ClipConsistencyDetector } = await import('../clip/clip-consistency-detector.js');
    return ClipConsistencyDetector.fromJSON(state, savedModelOptions(state, load));
  },
});
