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

/**
 * Checks a saved state of a detector with a fitted scalar calibration: its `kind`, format version 1, a numeric
 * slope `calibration.a`, and the `fields` given.
 *
 * @param state - the saved state
 * @param kind - the detector type's state kind
 * @param fields - further fields the state must hold
 */
export function expectCalibratedState(
  state: DetectorState,
  kind: string,
  fields: Record<string, unknown>,
): void {
  expect(state).toMatchObject({ kind, version: 1, ...fields, calibration: { a: expect.any(Number) } });
}
