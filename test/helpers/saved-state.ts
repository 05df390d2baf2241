import { expect } from 'vitest';
import type { DetectorState } from '../../src/core/detector.js';
import type { LabelledTranscript } from '../../src/core/transcript.js';

/** A detector that learns from labelled examples and saves what it learnt. */
interface FittableDetector {
  readonly fitted: boolean;
  fit(examples: LabelledTranscript[]): Promise<void>;
  toJSON(): DetectorState;
}

/**
 * Fits `detector`, checks that it says it is fitted, and returns its state as it reads back from JSON text (what
 * a file would hold).
 *
 * @param detector - the detector to fit
 * @param examples - its training examples
 */
export async function fitAndSave(
  detector: FittableDetector,
  examples: LabelledTranscript[],
): Promise<DetectorState> {
  await detector.fit(examples);
  expect(detector.fitted).toBe(true);
  return JSON.parse(JSON.stringify(detector.toJSON())) as DetectorState;
}
