import type { JsonObject, JsonValue } from './json.js';
import type { Label, LabelledTranscript, Message, Profile, Transcript } from './transcript.js';
import type { ValidationLimits } from './validation-limits.js';

/**
 * One named signal a detector looked at, with its value and a sentence a person can read.
 *
 * @example
 * ```ts
 * const e: Evidence = { name: 'emoji_rate', value: 0.5, sentence: 'Half of the messages contain an emoji.' };
 * ```
 */
export interface Evidence {
  /** Stable snake_case name, e.g. `median_delay_ms`. */
  name: string;
  /** The measured value; `null` when it could not be measured. */
  value: JsonValue;
  /** One sentence explaining what was seen and which way it points. */
  sentence: string;
  /** Signed contribution to the bot score (log-odds), when the detector can say. */
  contribution?: number;
}

/**
 * What a detector concluded about one transcript.
 *
 * @example
 * ```ts
 * const d = await new HeuristicDetector().detect(t);
 * if (d.score !== null && d.label === 'bot') console.log(d.evidence.map((e) => e.sentence));
 * ```
 */
export interface Detection {
  /** The detector's `name`. */
  detector: string;
  /** P(bot) in [0, 1], or `null` when the detector abstains (its input was missing). */
  score: number | null;
  /** `bot` when score >= the detector's threshold, `human` below it, `null` when abstaining. */
  label: Label | null;
  /** The signals behind the score. When abstaining, one entry says why. */
  evidence: Evidence[];
  /** Wall time spent, in milliseconds. */
  elapsedMs: number;
  /** How much input the verdict rests on, when the detector reports it. */
  support?: DetectionSupport;
}

/**
 * How much evidence a {@link Detection} rests on: a verdict from one short message deserves less trust than one
 * from fifty.
 */
export interface DetectionSupport {
  /** The target speaker's messages that were read. */
  targetMessages: number;
  /** Characters of the target's text that were read. */
  targetCharacters: number;
}

/** Options accepted by {@link Detector.detect}. */
export interface DetectOptions {
  /** Cancels the work; the promise then rejects with `AbortedError`. */
  signal?: AbortSignal;
}

/** Options accepted by {@link Detector.stream}. */
export interface StreamOptions {
  /** The speaker to judge. */
  target: string;
  /** The target speaker's profile, when the platform has one. */
  profile?: Profile;
  /**
   * Limits every pushed message is checked against, as `validateTranscript` checks a whole transcript's (raise
   * `maxMessages` for long chats). Past `maxMessages`, every push rejects with `InvalidTranscriptError` naming
   * `maxMessages` and leaves the stream as it was: a stream never judges fewer messages than were pushed. An
   * ensemble passes them to every member's stream. Give the limits the transcript was validated under, so
   * the detection after the last push equals `detect()` on it.
   * @defaultValue the detector's own limits (its `limits` option; DEFAULT_LIMITS, 200 messages, when it has
   *   none), as `detect()` applies them to a transcript that was not validated first
   */
  limits?: ValidationLimits;
}

/**
 * A detection over a growing transcript: push messages one at a time as they arrive.
 * After every message of a transcript has been pushed, {@link DetectionStream.detection} equals what
 * `detect()` returns on the whole transcript.
 *
 * @example
 * ```ts
 * const live = detector.stream?.({ target: 'helperbot' }) ?? openStream(detector, { target: 'helperbot' });
 * for (const m of incoming) {
 *   const d = await live.push(m);
 *   if (d.score !== null && d.score > 0.9) break;
 * }
 * ```
 */
export interface DetectionStream {
  /** Appends one message and resolves to the detection over every message pushed so far. */
  push(message: Message, opts?: DetectOptions): Promise<Detection>;
  /** The latest detection, or `undefined` before the first push. */
  detection(): Detection | undefined;
}

/** The versions of the {@link Detector} contract this botlens understands. */
export type DetectorSpecificationVersion = 'v1';

/** The {@link Detector} contract version this botlens implements. */
export const DETECTOR_SPECIFICATION_VERSION: DetectorSpecificationVersion = 'v1';

/**
 * Serialized fitted state of a detector: what `toJSON()` returns and `fromJSON()` reads.
 * `kind` names the detector class; `version` the state format.
 */
export interface DetectorState extends JsonObject {
  /** Detector class identifier, e.g. `heuristic`. */
  kind: string;
  /** State format version. */
  version: number;
}

/**
 * The detector contract. Implement it to plug your own detector into an `Ensemble`, the CLI and the service;
 * there is no registration step. Run `runDetectorConformance` (from `botlens/testing`) against your
 * implementation to check it keeps the contract.
 *
 * Rules every detector follows:
 * - `detect` validates its input and rejects with `InvalidTranscriptError` on bad input.
 * - It abstains (`score: null`) when the input it needs is missing, instead of guessing 0.5.
 * - Same input, same output (deterministic).
 * - It honours `signal` and rejects with `AbortedError` once aborted.
 *
 * @example
 * ```ts
 * const lengthy: Detector = {
 *   name: 'lengthy',
 *   async detect(t) {
 *     const v = validateTranscript(t);
 *     const mine = v.messages.filter((m) => m.speaker === v.target);
 *     const avg = mine.reduce((s, m) => s + m.text.length, 0) / mine.length;
 *     const score = avg > 200 ? 0.8 : 0.3;
 *     return { detector: 'lengthy', score, label: score >= 0.5 ? 'bot' : 'human', evidence: [], elapsedMs: 0 };
 *   },
 * };
 * ```
 */
export interface Detector {
  /**
   * The version of this contract the detector implements. Built-in detectors say `'v1'`. Optional, so detectors
   * written before it existed keep working: a missing value is read as `'v1'`. Loaders (`registerDetector`,
   * `detectorFromState`) reject any other value with a clear error, so a detector written for a later contract
   * fails loudly instead of misbehaving.
   * @defaultValue 'v1'
   */
  readonly specificationVersion?: DetectorSpecificationVersion;
  /** Unique name within an ensemble; appears in results and metrics. */
  readonly name: string;
  /** Judges the transcript's target speaker. */
  detect(t: Transcript, opts?: DetectOptions): Promise<Detection>;
  /** Judges many transcripts at once; model-backed detectors batch inference here. */
  detectBatch?(ts: Transcript[], opts?: DetectOptions): Promise<Detection[]>;
  /** Learns from labelled transcripts (weights, centroids, thresholds). */
  fit?(examples: LabelledTranscript[], opts?: DetectOptions): Promise<void>;
  /**
   * Starts a {@link DetectionStream} that updates as messages are pushed. Detectors that can update
   * incrementally implement it; for the others `openStream()` recomputes over the messages so far.
   */
  stream?(opts: StreamOptions): DetectionStream;
  /** The fitted state as JSON, for `fromJSON()` to restore. */
  toJSON?(): DetectorState;
  /** Frees models and native memory. The detector must not be used afterwards. */
  dispose?(): Promise<void>;
}
