import type { Detection } from '../../src/core/detector.js';

/** A detection that keeps the contract, as a user's detector named `name` would return it. */
export const validDetection = (name: string, score: number): Detection => ({
  detector: name,
  score,
  label: score >= 0.5 ? 'bot' : 'human',
  evidence: [],
  elapsedMs: 1,
});
