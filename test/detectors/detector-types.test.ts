import { expect, it } from 'vitest';
import { registeredDetectorTypes } from '../../src/detectors/detector-registry.js';
import { DETECTOR_TYPES } from '../../src/detectors/detector-spec.js';

it('DETECTOR_TYPES lists every built-in type the registry knows (nothing registered here)', () => {
  expect([...DETECTOR_TYPES].sort()).toEqual([...registeredDetectorTypes()].sort());
});
