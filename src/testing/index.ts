/**
 * `botlens/testing`: the detector conformance suite, for built-in and third-party detectors alike.
 *
 * @example
 * ```ts
 * import { assertDetectorConformance } from 'botlens/testing';
 * await assertDetectorConformance({ create: () => new MyDetector(), transcript });
 * ```
 *
 * @module botlens/testing
 */
export {
  assertDetectorConformance,
  type ConformanceCheck,
  type ConformanceOptions,
  type ConformanceReport,
  runDetectorConformance,
} from './conformance.js';
export { MALFORMED_TRANSCRIPTS, type MalformedTranscript } from './malformed-transcripts.js';
