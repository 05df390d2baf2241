import { modelDetector } from './model-detector.js';

/**
 * The `clip` detector type: CLIP agreement between the profile picture and what the speaker writes.
 *
 * @internal
 */
export const clipDescriptor = modelDetector({
  type: 'clip',
  description: 'CLIP agreement between the profile picture and what the speaker writes',
  options: {},
  load: async () => (await import('../clip/clip-consistency-detector.js')).ClipConsistencyDetector,
});
