import { z } from 'zod';
import { abstained, nowMs, scored, withEvidenceOnRead } from '../../core/detection.js';
import type {
  Detection,
  DetectionStream,
  DetectOptions,
  Detector,
  DetectorState,
  Evidence,
  StreamOptions,
} from '../../core/detector.js';
import { beginFit, checkName, checkState, checkThreshold, detectEach } from '../../core/detector-kit.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../../core/transcript.js';
import { resolveValidationLimits, type ValidationLimits, validateTranscript } from '../../core/validate.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { NotFittedError } from '../../errors/not-fitted-error.js';
import { fitLogisticRegression, sigmoid } from '../../numeric/logistic-regression.js';
import { countBothClasses } from '../scalar-calibration.js';
import { contrastSentence, ownSignalSentence } from './contrast-sentence.js';
import {
  balancedWeights,
  CONTRAST_SIGNAL_NAMES,
  contrastOf,
  type HumanStyle,
  humanPairContrasts,
  partnerOf,
} from './partner-contrast.js';
import {
  PARTNER_CONTRAST_STATE_VERSIONS,
  type PartnerContrastDetectorOptions,
  partnerContrastChecks,
} from './partner-contrast-options.js';
import { PartnerContrastStream } from './partner-contrast-stream.js';
import { StyleAccumulator } from './style-accumulator.js';
import {
  STYLE_FEATURE_NAMES,
  type StyleFeatureName,
  type StyleFeatureOptions,
} from './style-feature-types.js';

export type { PartnerContrastDetectorOptions } from './partner-contrast-options.js';

import {
  methodOptionsOf,
  refuseUnknownDetectOptions,
  refuseUnknownStreamOptions,
} from '../../core/method-options.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import { resolveStyleFeatureOptions } from './style-features.js';

/** Every key of {@link PartnerContrastDetectorOptions}: `new PartnerContrastDetector()` refuses any other. */
const PARTNER_CONTRAST_DETECTOR_OPTION_KEYS: OptionKeys<PartnerContrastDetectorOptions> = {
  name: true,
  threshold: true,
  l2: true,
  humanPairs: true,
  balanceClasses: true,
  targetSignals: true,
  limits: true,
  minHumanDelayMs: true,
  maxHumanCharsPerSecond: true,
  repeatWindow: true,
};

/** The fitted model: per signal the value that stands in for a missing one, its weight, and the intercept. */
interface ContrastModel {
  fill: number[];
  weights: number[];
  intercept: number;
}

const KIND = 'partner-contrast';
const SIGNALS = CONTRAST_SIGNAL_NAMES.length;
/** Seed of the draw of synthetic human–human pairs. */
const HUMAN_PAIR_SEED = 7;

const finiteNumbers = z.array(z.number().finite(), { error: 'expected an array of finite numbers' });
const optionalNumber = z.number({ error: 'expected a finite number' }).finite().optional();
/** What `toJSON()` writes after the kind and version (checked by `checkState`). */
const STATE_SCHEMA = z.looseObject({
  name: z.string({ error: 'expected a string' }).optional(),
  threshold: optionalNumber,
  l2: optionalNumber,
  humanPairs: optionalNumber,
  balanceClasses: z.boolean({ error: 'expected true or false' }).optional(),
  // Checked by the constructor (partnerContrastChecks.targetSignals), which names a bad entry.
  targetSignals: z.unknown().optional(),
  minHumanDelayMs: optionalNumber,
  maxHumanCharsPerSecond: optionalNumber,
  repeatWindow: optionalNumber,
  signals: z
    .array(z.string())
    .refine((v) => v.length === SIGNALS && v.every((x, k) => x === CONTRAST_SIGNAL_NAMES[k]), {
      error: `expected the ${SIGNALS} signal names this botlens measures (${CONTRAST_SIGNAL_NAMES.join(', ')}): refit with this version`,
    }),
  fill: finiteNumbers,
  weights: finiteNumbers,
  intercept: z.number({ error: 'expected a finite number' }).finite(),
});

/**
 * Judges the target by how its style differs from the speaker it talks with: for each style signal of the
 * heuristic detector (message length, questions, tokenizer spacing, repetition, ...), the target's value minus
 * its partner's on the same conversation, weighed by a logistic regression learned in `fit()`.
 *
 * Use it as a third member of a `stacking` ensemble beside the heuristic and embedding detectors when the bots
 * to catch may differ from the ones fitted on: it carries the signal that transfers to unseen bots (a bot
 * family's absolute style changes from one family to the next, "writes unlike its partner" much less), which
 * raises the ensemble's AUROC on a bot population it was not fitted on. Alone, fit it with `humanPairs` and
 * `balanceClasses` when the fitting data's humans talk only to bots. The figures, in domain and leave-one-source-out
 * on the ConvAI data, are the "partner-contrast" rows of docs/benchmarks.md (section "generalization"); how the
 * design was chosen is in docs/evaluation.md.
 *
 * It needs `fit()` (or state from `fromJSON()`): there are no hand-set weights. Where it has nothing to
 * compare (only the target speaks, or its partner sent only blank messages and nothing is timed) it abstains, so
 * an ensemble leaves it out as it does any abstaining member. Each `detect()` measures both speakers' style, linear in
 * the transcript; its stream keeps every speaker's running sums, so a push costs the same at any length.
 *
 * @example
 * ```ts
 * const contrast = new PartnerContrastDetector();
 * const ensemble = new Ensemble([new HeuristicDetector(), embedding, contrast], { strategy: 'stacking' });
 * await ensemble.fit(trainingTranscripts);
 * ```
 */
export class PartnerContrastDetector implements Detector {
  /** The detector's name in results. */
  readonly name: string;
  /** Score at or above which the label is `bot`. */
  readonly threshold: number;
  private readonly l2: number;
  private readonly humanPairs: number;
  private readonly balanceClasses: boolean;
  /** The style signals also read as the target's own values, in `STYLE_FEATURE_NAMES` order. */
  private readonly targetSignals: readonly StyleFeatureName[];
  /** Their positions in `STYLE_FEATURE_NAMES`. */
  private readonly targetPositions: readonly number[];
  private readonly featureOptions: Readonly<Required<StyleFeatureOptions>>;
  private readonly limits: ValidationLimits | undefined;
  private model: ContrastModel | undefined;
  private readonly scratch: readonly [StyleAccumulator, StyleAccumulator];

  /**
   * @param options - see {@link PartnerContrastDetectorOptions}
   * @throws InvalidOptionsError naming the bad option
   */
  constructor(options: PartnerContrastDetectorOptions = {}) {
    refuseUnknownKeys(
      options,
      PARTNER_CONTRAST_DETECTOR_OPTION_KEYS,
      'the options of new PartnerContrastDetector()',
    );
    this.name = checkName(options.name, KIND);
    this.threshold = checkThreshold(options.threshold);
    this.l2 = partnerContrastChecks.l2(options.l2);
    this.humanPairs = partnerContrastChecks.humanPairs(options.humanPairs);
    this.balanceClasses = partnerContrastChecks.balanceClasses(options.balanceClasses);
    this.targetSignals = partnerContrastChecks.targetSignals(options.targetSignals);
    this.targetPositions = this.targetSignals.map((n) => STYLE_FEATURE_NAMES.indexOf(n));
    this.limits = options.limits === undefined ? undefined : resolveValidationLimits(options.limits);
    this.featureOptions = resolveStyleFeatureOptions({
      minHumanDelayMs: options.minHumanDelayMs,
      maxHumanCharsPerSecond: options.maxHumanCharsPerSecond,
      repeatWindow: options.repeatWindow,
    });
    this.scratch = [
      new StyleAccumulator('', this.featureOptions),
      new StyleAccumulator('', this.featureOptions),
    ];
  }

  /** True once `fit()` has run (or the state came from `fromJSON()`). */
  get fitted(): boolean {
    return this.model !== undefined;
  }

  /**
   * Judges the transcript's target speaker. Abstains when the target has sent no message, or only blank ones
   * without timestamps, and when no contrast could be measured: only the target speaks, or its partner's style
   * cannot be measured (only blank messages, no timestamps).
   *
   * @param t - the transcript
   * @param opts - an optional `signal` to cancel
   * @throws NotFittedError before `fit()` or `fromJSON()`; InvalidTranscriptError on bad input; AbortedError
   *   when `signal` is aborted
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    refuseUnknownDetectOptions(opts, 'detect', this.name);
    AbortedError.throwIfAborted(opts.signal, `${this.name} detect`);
    this.fittedModel();
    const v = validateTranscript(t, this.limits);
    const [mine, theirs, partner] = this.measure(v);
    return this.score(mine, theirs, partner, started);
  }

  /**
   * Judges a transcript as it grows: push messages one at a time. It keeps the running style sums of the target
   * and of every other speaker, feeding each only its own messages and the one just before each, and tracks the
   * partner as counts change, so a push costs the same at any length and with any number of speakers. After every message of a transcript is pushed, the detection equals
   * `detect()` on the whole transcript. Before the target's first message it abstains.
   *
   * @param opts - the target speaker (and profile, which this detector does not read)
   * @throws NotFittedError before `fit()` or `fromJSON()`; InvalidTranscriptError when `target` is not a
   *   non-empty string or the profile is malformed
   */
  stream(opts: StreamOptions): DetectionStream {
    refuseUnknownStreamOptions(opts, methodOptionsOf('stream', this.name));
    this.fittedModel();
    return new PartnerContrastStream(
      this.name,
      opts,
      opts?.limits ?? this.limits,
      (speaker) => new StyleAccumulator(speaker, this.featureOptions),
      (mine, theirs, partner, started) => this.score(mine, theirs, partner, started),
    );
  }

  /**
   * Judges many transcripts, in order.
   *
   * @param ts - the transcripts
   * @param opts - an optional `signal`, checked before each transcript
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    return detectEach(this, ts, opts);
  }

  /**
   * Learns the weights by L2-regularized logistic regression on the standardized contrast signals. A signal
   * that an example cannot measure (e.g. timing without timestamps) stands at the mean of the examples that
   * measure it (0 when none does, so it gets no weight). Examples whose target wrote only blank messages (none
   * timed) are skipped; when that leaves a class empty, the error says how many were skipped.
   *
   * @param examples - labelled transcripts with at least one bot and one human
   * @param opts - an optional `signal` to cancel
   * @throws InvalidTranscriptError naming the bad example; InvalidOptionsError when a class is missing;
   *   AbortedError when cancelled
   */
  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    const what = `${this.name} fit`;
    const vs = beginFit(this.name, examples, opts);
    const rows: Float64Array[] = [];
    const y: number[] = [];
    const humans: HumanStyle[] = [];
    for (let i = 0; i < vs.length; i++) {
      if (i % 64 === 0) AbortedError.throwIfAborted(opts.signal, what);
      const [mine, theirs] = this.measure(vs[i]!);
      const x = this.featuresOf(mine, theirs);
      // An example whose target wrote only blank messages has nothing to learn from (detect() abstains on it).
      if (x === undefined) continue;
      rows.push(x);
      y.push(examples[i]!.label === 'bot' ? 1 : 0);
      if (this.humanPairs > 0 && examples[i]!.label === 'human') {
        const signals = new Float64Array(SIGNALS - 1);
        humans.push({ signals, has: mine.signals(signals) });
      }
    }
    const real = y.length;
    const skipped = vs.length - real;
    countBothClasses(
      y,
      skipped === 0
        ? ''
        : ` whose target wrote text (${skipped} of ${vs.length} skipped: their target sent only blank messages, none timed)`,
    );
    const pairs = humanPairContrasts(humans, Math.round(this.humanPairs * humans.length), HUMAN_PAIR_SEED);
    for (const [r, row] of pairs.entries()) {
      // Pair r's first side is human r mod n (see humanPairContrasts): its own values are the target's.
      rows.push(this.withTargetValues(row, humans[r % humans.length]!));
      y.push(0);
    }
    const width = this.width;
    const fill = new Array<number>(width).fill(0);
    for (let k = 0; k < width; k++) {
      let sum = 0;
      let n = 0;
      for (const r of rows) {
        if (!Number.isNaN(r[k]!)) {
          sum += r[k]!;
          n++;
        }
      }
      fill[k] = n > 0 ? sum / n : 0;
    }
    const X = rows.map((r) => Array.from(r, (v, k) => (Number.isNaN(v) ? fill[k]! : v)));
    AbortedError.throwIfAborted(opts.signal, what);
    const m = fitLogisticRegression(X, y, {
      l2: this.l2,
      ...(this.balanceClasses ? { sampleWeights: balancedWeights(y, real) } : {}),
    });
    this.model = { fill, weights: m.weights, intercept: m.intercept };
  }

  /**
   * The options and fitted weights as JSON, for {@link PartnerContrastDetector.fromJSON}; restoring gives
   * identical scores. The state is version 1 without `targetSignals` (any botlens that reads partner-contrast
   * states loads it) and version 2 with them (an older botlens refuses it: upgrade botlens).
   *
   * @throws NotFittedError before `fit()`
   */
  toJSON(): DetectorState {
    const model = this.fittedModel();
    return {
      kind: KIND,
      version:
        this.targetSignals.length > 0
          ? PARTNER_CONTRAST_STATE_VERSIONS.targetSignals
          : PARTNER_CONTRAST_STATE_VERSIONS.oldest,
      name: this.name,
      threshold: this.threshold,
      l2: this.l2,
      ...(this.humanPairs > 0 ? { humanPairs: this.humanPairs } : {}),
      ...(this.balanceClasses ? { balanceClasses: true } : {}),
      ...(this.targetSignals.length > 0 ? { targetSignals: [...this.targetSignals] } : {}),
      minHumanDelayMs: this.featureOptions.minHumanDelayMs,
      maxHumanCharsPerSecond: this.featureOptions.maxHumanCharsPerSecond,
      repeatWindow: this.featureOptions.repeatWindow,
      signals: [...CONTRAST_SIGNAL_NAMES],
      fill: model.fill,
      weights: model.weights,
      intercept: model.intercept,
    };
  }

  /**
   * Rebuilds a fitted detector from {@link PartnerContrastDetector.toJSON} output.
   *
   * @param state - the saved state
   * @throws InvalidOptionsError when the state is not a version-1 or version-2 partner-contrast state or holds bad
   *   values
   * @example
   * ```ts
   * const d = PartnerContrastDetector.fromJSON(JSON.parse(await readFile('contrast.json', 'utf8')));
   * ```
   */
  static fromJSON(state: DetectorState): PartnerContrastDetector {
    checkState(state, {
      kind: KIND,
      version: PARTNER_CONTRAST_STATE_VERSIONS.targetSignals,
      oldestVersion: PARTNER_CONTRAST_STATE_VERSIONS.oldest,
      owner: 'PartnerContrastDetector',
      label: KIND,
    });
    const r = STATE_SCHEMA.safeParse(state);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new InvalidOptionsError(`state.${issue.path.map(String).join('.')}`, issue.message);
    }
    const {
      name,
      threshold,
      l2,
      humanPairs,
      balanceClasses,
      targetSignals,
      minHumanDelayMs,
      maxHumanCharsPerSecond,
      repeatWindow,
    } = r.data;
    let d: PartnerContrastDetector;
    try {
      d = new PartnerContrastDetector({
        name,
        threshold,
        l2,
        humanPairs,
        balanceClasses,
        targetSignals: targetSignals as StyleFeatureName[] | undefined,
        minHumanDelayMs,
        maxHumanCharsPerSecond,
        repeatWindow,
      });
    } catch (err) {
      if (!InvalidOptionsError.isInstance(err)) throw err;
      throw new InvalidOptionsError(
        `state.${err.option}`,
        err.message.slice(`Invalid option "${err.option}": `.length),
      );
    }
    for (const key of ['fill', 'weights'] as const) {
      if (r.data[key].length !== d.width) {
        throw new InvalidOptionsError(
          `state.${key}`,
          `expected ${d.width} finite numbers, one per signal (${SIGNALS} contrast signals, ${d.targetSignals.length} own-value signals), got ${r.data[key].length}: the state is damaged; refit`,
        );
      }
    }
    d.model = { fill: r.data.fill, weights: r.data.weights, intercept: r.data.intercept };
    return d;
  }

  /**
   * Feeds a whole transcript to the target's and its partner's scratch accumulators (allocating their tables
   * costs more than measuring a short transcript; nothing awaits while they are used, so calls cannot
   * interleave).
   */
  private measure(v: ValidTranscript): [StyleAccumulator, StyleAccumulator | undefined, string | undefined] {
    const partner = partnerOf(v);
    const [mine, other] = this.scratch;
    mine.reset(v.target);
    const theirs = partner === undefined ? undefined : other;
    if (partner !== undefined) other.reset(partner);
    for (const m of v.messages) {
      mine.push(m);
      theirs?.push(m);
    }
    return [mine, theirs, partner];
  }

  /** Signals per example: the contrasts, then the target's own values of {@link targetSignals}. */
  private get width(): number {
    return SIGNALS + this.targetSignals.length;
  }

  /** `row` (contrasts) followed by `own`'s values of the target signals (`NaN` where not measured). */
  private withTargetValues(row: Float64Array, own: HumanStyle): Float64Array {
    if (this.targetSignals.length === 0) return row;
    const out = new Float64Array(this.width);
    out.set(row);
    for (const [j, k] of this.targetPositions.entries()) {
      out[SIGNALS + j] = (own.has >>> k) & 1 ? own.signals[k]! : Number.NaN;
    }
    return out;
  }

  /** The contrast signals and the target's own values of the target signals; `undefined` as for contrastOf. */
  private featuresOf(mine: StyleAccumulator, theirs: StyleAccumulator | undefined): Float64Array | undefined {
    const x = contrastOf(mine, theirs);
    if (x === undefined || this.targetSignals.length === 0) return x;
    const signals = new Float64Array(SIGNALS - 1);
    return this.withTargetValues(x, { signals, has: mine.signals(signals) });
  }

  /** The detection from the target's and its partner's running style sums. */
  private score(
    mine: StyleAccumulator,
    theirs: StyleAccumulator | undefined,
    partner: string | undefined,
    started: number,
  ): Detection {
    const model = this.fittedModel();
    const support = { targetMessages: mine.targetMessages, targetCharacters: mine.targetCharacters };
    if (support.targetMessages === 0) {
      return {
        ...abstained(this.name, 'The target has not sent a message yet: nothing to judge.', started),
        support,
      };
    }
    const x = this.featuresOf(mine, theirs);
    if (x === undefined) {
      return {
        ...abstained(
          this.name,
          'No style signal of the target could be measured: it sent only blank messages and no message has a timestamp. Give it text or timestamps.',
          started,
        ),
        support,
      };
    }
    if (partner === undefined || !x.subarray(0, SIGNALS - 1).some((v) => !Number.isNaN(v))) {
      // Nothing compared: a score here would be the training share of bots with a label on it.
      return {
        ...abstained(
          this.name,
          partner === undefined
            ? 'Only the target speaks, so there is no partner to compare its style with. Judge it with a detector that reads the target alone.'
            : `No style signal could be compared with "${partner}"'s: the partner sent only blank messages and no message has a timestamp. Wait for the partner to write.`,
          started,
        ),
        support,
      };
    }
    // z = baseline + Σ contribution, the baseline being the score of a transcript at the training means.
    let z = model.intercept;
    const width = this.width;
    const contributions = new Array<number>(width);
    for (let k = 0; k < width; k++) {
      const w = model.weights[k]!;
      z += w * model.fill[k]!;
      contributions[k] = Number.isNaN(x[k]!) ? 0 : w * (x[k]! - model.fill[k]!);
    }
    for (const c of contributions) z += c;
    // The sentences are written when the evidence is first read: a stream scores after every push.
    return withEvidenceOnRead(
      { ...scored(this.name, sigmoid(z), this.threshold, [], started), support },
      () => this.evidence(partner, x, contributions),
    );
  }

  private fittedModel(): ContrastModel {
    if (this.model === undefined) {
      throw new NotFittedError(
        this.name,
        'call fit(examples) first (it has no hand-set weights), or restore it with PartnerContrastDetector.fromJSON()',
      );
    }
    return this.model;
  }

  /** One entry per signal with weight, strongest pull first, then the partner it was measured against. */
  private evidence(partner: string, x: Float64Array, contributions: number[]): Evidence[] {
    const out: Evidence[] = [];
    for (let k = 0; k < SIGNALS - 1; k++) {
      if (this.model!.weights[k] === 0 || Number.isNaN(x[k]!)) continue;
      const c = contributions[k]!;
      const name = CONTRAST_SIGNAL_NAMES[k]!;
      // Signal k contrasts style signal k; a `log_` name marks a log ratio (see CONTRAST_SIGNAL_NAMES).
      out.push({
        name,
        value: x[k]!,
        sentence: contrastSentence(STYLE_FEATURE_NAMES[k]!, name.startsWith('log_'), x[k]!, partner, c),
        contribution: c,
      });
    }
    for (const [j, signal] of this.targetSignals.entries()) {
      const k = SIGNALS + j;
      if (this.model!.weights[k] === 0 || Number.isNaN(x[k]!)) continue;
      out.push({
        name: `${signal}_own`,
        value: x[k]!,
        sentence: ownSignalSentence(signal, x[k]!, contributions[k]!),
        contribution: contributions[k]!,
      });
    }
    out.sort((a, b) => Math.abs(b.contribution!) - Math.abs(a.contribution!));
    out.push({
      name: 'has_partner',
      value: true,
      sentence: `The target's style is compared with "${partner}"'s, the speaker it talks with most.`,
      contribution: contributions[SIGNALS - 1]!,
    });
    return out;
  }
}
