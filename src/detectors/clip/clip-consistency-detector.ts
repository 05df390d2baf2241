import { abstained, scored } from '../../core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState, Evidence } from '../../core/detector.js';
import {
  beginDetect,
  beginDetectBatch,
  beginFit,
  checkName,
  checkThreshold,
  type StateFormat,
} from '../../core/detector-kit.js';
import { checkInRange } from '../../core/number-range.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../../core/transcript.js';
import { validateTranscript } from '../../core/validate.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { sigmoid } from '../../numeric/logistic-regression.js';
import { BATCH_PLAN_OPTION_KEYS } from '../../runtime/batching.js';
import { ClipEncoder } from '../../runtime/clip-encoder.js';
import { isRemoteImage } from '../../runtime/image-input.js';
import { MODEL_OPTION_KEYS, validateModelOptions } from '../../runtime/model-options.js';
import { cosine } from '../../runtime/tensor-data.js';
import { modelDetectorState, readModelDetectorOptions, withoutKeys } from '../model-detector-kit.js';
import { fitScalarCalibration, readScalarCalibration } from '../scalar-calibration.js';
import type { ClipCalibration, ClipConsistencyOptions } from './clip-options.js';

/** Every key of {@link ClipConsistencyOptions}: `new ClipConsistencyDetector()` refuses any other. */
const CLIP_CONSISTENCY_DETECTOR_OPTION_KEYS: OptionKeys<ClipConsistencyOptions> = {
  ...MODEL_OPTION_KEYS,
  ...BATCH_PLAN_OPTION_KEYS,
  normalize: true,
  maxLength: true,
  imageOptions: true,
  name: true,
  maxInconsistency: true,
  steepness: true,
  threshold: true,
  l2: true,
};

const FORMAT: StateFormat = { kind: 'clip', version: 1, owner: 'ClipConsistencyDetector', label: 'CLIP' };
/** The options the detector reads itself; the rest go to its CLIP encoder. */
const OWN_KEYS = ['name', 'maxInconsistency', 'steepness', 'threshold', 'l2', 'normalize'] as const;

/**
 * Checks that a profile's bio and avatar tell the same story: CLIP embeds the bio text and the avatar image in
 * one space; `inconsistency = 1 - cosine(text, image)`. Stock or generated avatars that match nothing in the bio
 * are a common sign of fake accounts.
 *
 * Score: `P(bot) = sigmoid(steepness * (inconsistency - maxInconsistency))`, so the score crosses 0.5 (and the
 * label turns `bot`) where the inconsistency crosses `maxInconsistency` (0.4). `fit()` replaces this with a
 * logistic regression on the inconsistency, `sigmoid(a * inconsistency + b)`. Raw CLIP cosines between matching
 * text and images are small (about 0.2-0.35 for ViT-B/32), so fit on labelled profiles before trusting the
 * default threshold.
 *
 * Abstains when the profile lacks a bio or an avatar, or when the avatar is an `http(s)` URL and the detector is
 * offline.
 *
 * @example
 * ```ts
 * const clip = new ClipConsistencyDetector();
 * const d = await clip.detect({
 *   messages: [{ speaker: 'sam', text: 'hi!' }],
 *   profile: { bio: 'Dog lover, hiker, amateur baker.', avatar: './avatars/sam.jpg' },
 * });
 * console.log(d.score, d.evidence[0]?.sentence);
 * await clip.dispose();
 * ```
 */
export class ClipConsistencyDetector implements Detector {
  /** The `Detector` contract version this class implements. */
  readonly specificationVersion = 'v1' as const;
  /** The detector's name in results. */
  readonly name: string;
  /** The inconsistency at which the unfitted score is 0.5. */
  readonly maxInconsistency: number;
  /** Slope of the unfitted mapping. */
  readonly steepness: number;
  /** Score at or above which the label is `bot`. */
  readonly threshold: number;
  private readonly l2: number;
  private readonly options: ClipConsistencyOptions;
  private readonly encoder: ClipEncoder;
  private calibration: ClipCalibration | null = null;

  /**
   * @param options - see {@link ClipConsistencyOptions}
   * @throws InvalidOptionsError naming the bad option
   */
  constructor(options: ClipConsistencyOptions = {}) {
    refuseUnknownKeys(
      options,
      CLIP_CONSISTENCY_DETECTOR_OPTION_KEYS,
      'the options of new ClipConsistencyDetector()',
    );
    const name = checkName(options.name, FORMAT.kind);
    this.threshold = checkThreshold(options.threshold);
    this.maxInconsistency = checkInRange('maxInconsistency', options.maxInconsistency ?? 0.4, {
      min: 0,
      max: 2,
    });
    this.steepness = checkInRange('steepness', options.steepness ?? 10, { min: 1e-6, max: 1e6 });
    this.l2 = checkInRange('l2', options.l2 ?? 1, { min: 0, max: 1e9 });
    validateModelOptions(options);
    this.name = name;
    this.options = { ...options };
    this.encoder = new ClipEncoder({ ...withoutKeys(options, OWN_KEYS), normalize: true });
  }

  /** True once `fit()` has run (or the state came from a fitted detector). */
  get fitted(): boolean {
    return this.calibration !== null;
  }

  /**
   * The CLIP encoder this detector runs (shares its model).
   * @internal
   */
  get clipEncoder(): ClipEncoder {
    return this.encoder;
  }

  private missing(v: ValidTranscript): string | null {
    const bio = v.profile?.bio?.trim() ?? '';
    const avatar = v.profile?.avatar;
    if (!v.profile)
      return `The transcript has no profile for "${v.target}", so bio and avatar cannot be compared.`;
    if (bio === '') return `The profile of "${v.target}" has no bio to compare with the avatar.`;
    if (avatar === undefined || (typeof avatar === 'string' && avatar.trim() === '')) {
      return `The profile of "${v.target}" has no avatar to compare with the bio.`;
    }
    if (this.encoder.offline && isRemoteImage(avatar)) {
      return 'The avatar is a web URL and the detector is offline, so it cannot be fetched.';
    }
    return null;
  }

  private async inconsistencies(
    vs: readonly ValidTranscript[],
    signal: AbortSignal | undefined,
  ): Promise<(number | null)[]> {
    AbortedError.throwIfAborted(signal, `${this.name} detect`);
    const usable = vs.map((v, i) => (this.missing(v) === null ? i : -1)).filter((i) => i >= 0);
    if (usable.length === 0) return vs.map(() => null);
    const opts = signal ? { signal } : {};
    const texts = await this.encoder.embedText(
      usable.map((i) => vs[i]!.profile!.bio!),
      opts,
    );
    const images = await this.encoder.embedImage(
      usable.map((i) => vs[i]!.profile!.avatar!),
      opts,
    );
    const out: (number | null)[] = vs.map(() => null);
    usable.forEach((i, k) => {
      out[i] = 1 - cosine(texts[k]!, images[k]!);
    });
    return out;
  }

  /**
   * The inconsistency `1 - cosine(bio, avatar)` of a transcript's profile, in [0, 2].
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel
   * @returns the inconsistency, or `null` when bio or avatar is missing
   * @throws ImageLoadError when the avatar cannot be read or decoded
   */
  async inconsistency(t: Transcript, opts: DetectOptions = {}): Promise<number | null> {
    const [x] = await this.inconsistencies([validateTranscript(t)], opts.signal);
    return x ?? null;
  }

  /**
   * Maps an inconsistency to P(bot): the fitted logistic mapping, else the default one around
   * `maxInconsistency`.
   *
   * @param inconsistency - `1 - cosine(bio, avatar)`
   */
  scoreOf(inconsistency: number): number {
    return this.calibration
      ? sigmoid(this.calibration.a * inconsistency + this.calibration.b)
      : sigmoid(this.steepness * (inconsistency - this.maxInconsistency));
  }

  private toDetection(v: ValidTranscript, x: number | null, started: number): Detection {
    if (x === null) return abstained(this.name, this.missing(v) ?? 'Bio or avatar missing.', started);
    const score = this.scoreOf(x);
    const cos = 1 - x;
    const evidence: Evidence[] = [
      {
        name: 'clip_inconsistency',
        value: x,
        sentence:
          x > this.maxInconsistency
            ? `The avatar and the bio match poorly in CLIP space (inconsistency ${x.toFixed(3)} > ${this.maxInconsistency}).`
            : `The avatar and the bio are consistent in CLIP space (inconsistency ${x.toFixed(3)} <= ${this.maxInconsistency}).`,
        contribution: this.calibration
          ? this.calibration.a * x + this.calibration.b
          : this.steepness * (x - this.maxInconsistency),
      },
      { name: 'clip_cosine', value: cos, sentence: `CLIP cosine between bio and avatar: ${cos.toFixed(3)}.` },
    ];
    return scored(this.name, score, this.threshold, evidence, started);
  }

  /**
   * Judges the target's profile.
   *
   * @param t - the transcript (with `profile.bio` and `profile.avatar`)
   * @param opts - `signal` to cancel
   * @throws InvalidTranscriptError on bad input; ImageLoadError for an unreadable avatar; ModelLoadError when the model is missing
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const { started, v } = beginDetect(this.name, t, opts);
    const [x] = await this.inconsistencies([v], opts.signal);
    return this.toDetection(v, x ?? null, started);
  }

  /**
   * Judges many profiles: bios go through the text tower in length-sorted batches, avatars in image batches.
   *
   * @param ts - the transcripts
   * @param opts - `signal` to cancel
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    const { started, vs } = beginDetectBatch(this.name, ts, opts);
    const xs = await this.inconsistencies(vs, opts.signal);
    return vs.map((v, i) => this.toDetection(v, xs[i] ?? null, started));
  }

  /**
   * Learns `P(bot) = sigmoid(a * inconsistency + b)` by logistic regression (classes weighted to balance).
   * Examples without bio or avatar are skipped.
   *
   * @param examples - labelled transcripts with profiles, at least one bot and one human
   * @param opts - `signal` to cancel
   * @throws InvalidOptionsError when a class is missing
   */
  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    const vs = beginFit(this.name, examples, opts);
    const xs = await this.inconsistencies(vs, opts.signal);
    this.calibration = fitScalarCalibration(xs, examples, this.l2, ' with a bio and an avatar');
  }

  /** The options and the fitted mapping as JSON, for {@link ClipConsistencyDetector.fromJSON}. */
  toJSON(): DetectorState {
    const { maxInconsistency, steepness, l2, calibration } = this;
    const fields = { maxInconsistency, steepness, l2, calibration: calibration ? { ...calibration } : null };
    return modelDetectorState(FORMAT, this, fields, { model: this.options, batching: this.options });
  }

  /**
   * Rebuilds a detector from {@link ClipConsistencyDetector.toJSON} output. The model loads on first use.
   *
   * @param state - the saved state
   * @param overrides - options that replace the saved ones (e.g. `modelDir` on another machine)
   * @throws InvalidOptionsError when the state is not a version-1 CLIP state
   * @example
   * ```ts
   * const d = ClipConsistencyDetector.fromJSON(JSON.parse(await readFile('clip.json', 'utf8')));
   * ```
   */
  static fromJSON(state: DetectorState, overrides: ClipConsistencyOptions = {}): ClipConsistencyDetector {
    const saved = readModelDetectorOptions(state, FORMAT, {
      numbers: ['maxInconsistency', 'steepness', 'l2'],
    });
    const d = new ClipConsistencyDetector({ ...saved, ...overrides });
    d.calibration = readScalarCalibration(state['calibration']);
    return d;
  }

  /** Releases the CLIP model. */
  async dispose(): Promise<void> {
    await this.encoder.dispose();
  }
}
