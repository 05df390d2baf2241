import { describeValue } from '../../core/describe-value.js';
import { abstained, scored } from '../../core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState } from '../../core/detector.js';
import {
  beginDetect,
  beginFit,
  checkL2,
  checkName,
  checkState,
  checkThreshold,
  definedFields,
  detectEach,
  type StateFormat,
} from '../../core/detector-kit.js';
import { type OptionKeys, refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../../core/transcript.js';
import { targetMessages, validateTranscript } from '../../core/validate.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { fitLogisticRegression, sigmoid } from '../../numeric/logistic-regression.js';
import { CausalLmScorer } from '../../runtime/causal-lm-scorer.js';
import {
  deserializeModelOptions,
  MODEL_OPTION_KEYS,
  serializeModelOptions,
  validateModelOptions,
} from '../../runtime/model-options.js';
import { type LexicalDiversityOptions, lexicalDiversity } from '../../text/lexical-diversity.js';
import { modelDetectorState, nestedFieldsOfType } from '../model-detector-kit.js';
import { balancedSampleWeights, countBothClasses } from '../scalar-calibration.js';
import { perplexityEvidence } from './perplexity-evidence.js';
import {
  bestThreshold,
  defaultCombination,
  mainModelOptions,
  meanOf,
  numberArray,
} from './perplexity-math.js';
import {
  type Combination,
  DEFAULT_PERPLEXITY_COMBINATION,
  type LmFigures,
  PERPLEXITY_FEATURES,
  type PerplexityDiversityFeatures,
  type PerplexityDiversityOptions,
  type PerplexityFeature,
  type PerplexityUnit,
  WINDOW_KEYS,
} from './perplexity-options.js';

/** Every key of {@link PerplexityDiversityOptions}: `new PerplexityDiversityDetector()` refuses any other. */
const PERPLEXITY_DIVERSITY_DETECTOR_OPTION_KEYS: OptionKeys<PerplexityDiversityOptions> = {
  ...MODEL_OPTION_KEYS,
  windowTokens: true,
  stride: true,
  name: true,
  threshold: true,
  unit: true,
  observer: true,
  performer: true,
  diversity: true,
  l2: true,
};

const FORMAT: StateFormat = {
  kind: 'perplexity',
  version: 1,
  owner: 'PerplexityDiversityDetector',
  label: 'perplexity',
};

/**
 * Judges a speaker by how predictable and how varied their text is. A causal LM (default `Xenova/gpt2`) gives
 * per-token log-probabilities: perplexity and the mean entropy of its next-token distribution. With a second
 * model (`observer`) it also computes the Binoculars score (Hans et al. 2024). Lexical diversity adds distinct-1,
 * distinct-2, the moving-average type-token ratio, self-repetition across messages and compression ratio:
 * bots, scripted ones above all, often show lower diversity.
 *
 * `P(bot) = sigmoid(intercept + Σ weight × signal)`, with hand-set weights (`DEFAULT_PERPLEXITY_COMBINATION`)
 * until `fit()` learns them by logistic regression. Every signal appears in the evidence with its value and
 * contribution. Abstains when the target wrote no text.
 *
 * @example
 * ```ts
 * const d = new PerplexityDiversityDetector({ model: 'Xenova/gpt2', observer: { model: 'Xenova/distilgpt2' } });
 * await d.fit(trainingTranscripts); // learns the weights and the Binoculars threshold for this pair
 * const r = await d.detect(transcript);
 * console.log(r.score, r.evidence.map((e) => e.sentence));
 * await d.dispose();
 * ```
 */
export class PerplexityDiversityDetector implements Detector {
  /** The `Detector` contract version this class implements. */
  readonly specificationVersion = 'v1' as const;
  /** The detector's name in results. */
  readonly name: string;
  /** Score at or above which the label is `bot`. */
  readonly threshold: number;
  /** How messages are scored. */
  readonly unit: PerplexityUnit;
  /** The signals combined, in feature-vector order. */
  readonly featureNames: readonly PerplexityFeature[];
  private readonly options: PerplexityDiversityOptions;
  private readonly diversityOptions: Required<LexicalDiversityOptions>;
  private readonly l2: number;
  private readonly lm: CausalLmScorer;
  private readonly performer: CausalLmScorer | undefined;
  private readonly observer: CausalLmScorer | undefined;
  private combination: Combination;
  private binocularsThreshold: number | null = null;
  private isFitted = false;

  /**
   * @param options - see {@link PerplexityDiversityOptions}
   * @throws InvalidOptionsError naming the bad option
   */
  constructor(options: PerplexityDiversityOptions = {}) {
    refuseUnknownKeys(
      options,
      PERPLEXITY_DIVERSITY_DETECTOR_OPTION_KEYS,
      'new PerplexityDiversityDetector()',
    );
    const name = checkName(options.name, FORMAT.kind);
    const threshold = checkThreshold(options.threshold);
    const unit = options.unit ?? 'joined';
    if (unit !== 'joined' && unit !== 'per-message') {
      throw new InvalidOptionsError('unit', `got ${describeValue(unit)}; use "joined" or "per-message"`);
    }
    const l2 = checkL2(options.l2);
    if (options.performer !== undefined && options.observer === undefined) {
      throw new InvalidOptionsError(
        'performer',
        'only makes sense with an observer: set observer too (Binoculars needs both)',
      );
    }
    for (const key of ['observer', 'performer'] as const) {
      const o = options[key];
      if (o !== undefined) {
        if (typeof o !== 'object' || o === null)
          throw new InvalidOptionsError(key, 'expected model options, e.g. { model: "Xenova/distilgpt2" }');
        validateModelOptions(o);
      }
    }
    this.diversityOptions = {
      mattrWindow: options.diversity?.mattrWindow ?? 50,
      selfRepetitionN: options.diversity?.selfRepetitionN ?? 3,
    };
    lexicalDiversity([], this.diversityOptions); // validates the diversity options
    this.name = name;
    this.threshold = threshold;
    this.unit = unit;
    this.l2 = l2;
    this.options = { ...options };
    const windowing = definedFields(options, WINDOW_KEYS);
    this.lm = new CausalLmScorer(mainModelOptions(options));
    if (options.observer) {
      this.observer = new CausalLmScorer({ ...windowing, ...options.observer });
      this.performer = options.performer
        ? new CausalLmScorer({ ...windowing, ...options.performer })
        : this.lm;
    }
    this.featureNames = PERPLEXITY_FEATURES.filter((f) => f !== 'binoculars' || this.observer !== undefined);
    this.combination = defaultCombination(this.featureNames);
  }

  /** True once `fit()` has run (or the state came from a fitted detector). */
  get fitted(): boolean {
    return this.isFitted;
  }

  /**
   * Measures every signal for a transcript's target, without combining them.
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel
   * @returns the figures, or `null` when the target wrote no text
   * @throws InvalidTranscriptError on bad input; AbortedError when cancelled
   * @internal
   */
  async features(t: Transcript, opts: DetectOptions = {}): Promise<PerplexityDiversityFeatures | null> {
    AbortedError.throwIfAborted(opts.signal, `${this.name} detect`);
    return this.measure(validateTranscript(t), opts);
  }

  /**
   * Judges the transcript's target speaker.
   *
   * @param t - the transcript
   * @param opts - `signal` to cancel (checked between forward passes)
   * @throws InvalidTranscriptError on bad input; AbortedError when cancelled; ModelLoadError when a model is missing
   */
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const { started, v } = beginDetect(this.name, t, opts);
    const f = await this.measure(v, opts);
    if (!f)
      return abstained(this.name, `"${v.target}" wrote no text, so there is nothing to score.`, started);
    return this.combine(f, started);
  }

  /**
   * Judges many transcripts, in order (one forward pass per text window; ONNX Runtime already uses every core).
   *
   * @param ts - the transcripts
   * @param opts - `signal`, checked before each transcript and each window
   */
  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    return detectEach(this, ts, opts);
  }

  /**
   * Learns the combination by L2 logistic regression (`fitLogisticRegression`, classes weighted to balance) on
   * every signal, and, with an observer, the Binoculars threshold for this model pair (the cut on the Binoculars
   * score alone with the best balanced accuracy, shown in the evidence). Examples whose target wrote no text are
   * skipped.
   *
   * @param examples - labelled transcripts with at least one bot and one human that wrote text
   * @param opts - `signal` to cancel
   * @throws InvalidTranscriptError naming a bad example; InvalidOptionsError when a class is missing
   */
  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    const what = `${this.name} fit`;
    const vs = beginFit(this.name, examples, opts);
    const rows: (number | null)[][] = [];
    const y: number[] = [];
    for (let i = 0; i < vs.length; i++) {
      AbortedError.throwIfAborted(opts.signal, what);
      const f = await this.measure(vs[i]!, opts);
      if (!f) continue;
      rows.push(f.values);
      y.push(examples[i]!.label === 'bot' ? 1 : 0);
    }
    const bots = countBothClasses(y, ' whose target wrote text');
    const d = this.featureNames.length;
    const fill = new Array<number>(d);
    for (let j = 0; j < d; j++) {
      let s = 0;
      let n = 0;
      for (const r of rows) {
        const x = r[j];
        if (x !== null && x !== undefined && Number.isFinite(x)) {
          s += x;
          n++;
        }
      }
      fill[j] = n > 0 ? s / n : DEFAULT_PERPLEXITY_COMBINATION[this.featureNames[j]!].reference;
    }
    const X = rows.map((r) => r.map((x, j) => (x !== null && Number.isFinite(x) ? x : fill[j]!)));
    const m = fitLogisticRegression(X, y, { l2: this.l2, sampleWeights: balancedSampleWeights(y, bots) });
    this.combination = { weights: m.weights, intercept: m.intercept, fill };
    const b = this.featureNames.indexOf('binoculars');
    this.binocularsThreshold =
      b >= 0
        ? bestThreshold(
            X.map((r) => r[b]!),
            y,
          )
        : null;
    this.isFitted = true;
  }

  /** The options and the combination as JSON, for {@link PerplexityDiversityDetector.fromJSON}. */
  toJSON(): DetectorState {
    const o = this.options;
    const state = modelDetectorState(
      FORMAT,
      this,
      { unit: this.unit, l2: this.l2 },
      { model: mainModelOptions(o) },
    );
    Object.assign(state, {
      diversity: { ...this.diversityOptions },
      features: [...this.featureNames],
      weights: [...this.combination.weights],
      intercept: this.combination.intercept,
      fill: [...this.combination.fill],
      fitted: this.isFitted,
      binocularsThreshold: this.binocularsThreshold,
      ...definedFields(o, WINDOW_KEYS),
    });
    if (o.observer) state['observer'] = { ...serializeModelOptions(o.observer) };
    if (o.performer) state['performer'] = { ...serializeModelOptions(o.performer) };
    return state;
  }

  /**
   * Rebuilds a detector from {@link PerplexityDiversityDetector.toJSON} output. Models load on first use.
   *
   * @param state - the saved state
   * @param overrides - options that replace the saved ones (e.g. `modelDir` or `onProgress` on another machine)
   * @throws InvalidOptionsError when the state is not a version-1 perplexity state or holds bad values
   *
   * @example
   * ```ts
   * const d = PerplexityDiversityDetector.fromJSON(JSON.parse(await readFile('ppl.json', 'utf8')), { modelDir: '/models' });
   * ```
   */
  static fromJSON(
    state: DetectorState,
    overrides: PerplexityDiversityOptions = {},
  ): PerplexityDiversityDetector {
    checkState(state, FORMAT);
    const opts: PerplexityDiversityOptions = { ...deserializeModelOptions(state['model']) };
    const str = (k: string) => {
      const v = state[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'string')
        throw new InvalidOptionsError(`state.${k}`, `expected a string, got ${describeValue(v)}`);
      return v;
    };
    const num = (k: string) => {
      const v = state[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new InvalidOptionsError(`state.${k}`, `expected a number, got ${describeValue(v)}`);
      return v;
    };
    const name = str('name');
    if (name !== undefined) opts.name = name;
    const unit = str('unit');
    if (unit !== undefined) opts.unit = unit as PerplexityUnit;
    for (const k of ['threshold', 'l2', 'windowTokens', 'stride'] as const) {
      const v = num(k);
      if (v !== undefined) opts[k] = v;
    }
    if (state['observer'] !== undefined) opts.observer = deserializeModelOptions(state['observer']);
    if (state['performer'] !== undefined) opts.performer = deserializeModelOptions(state['performer']);
    const diversity = nestedFieldsOfType(state, 'diversity', 'number', ['mattrWindow', 'selfRepetitionN']);
    if (diversity) opts.diversity = diversity;
    const d = new PerplexityDiversityDetector({ ...opts, ...overrides });
    const features = state['features'];
    if (!Array.isArray(features) || features.join(',') !== d.featureNames.join(',')) {
      throw new InvalidOptionsError(
        'state.features',
        `expected [${d.featureNames.join(', ')}] for this configuration, got ${describeValue(features)}: the observer setting must match the one fitted`,
      );
    }
    const weights = numberArray(state['weights'], 'state.weights', features.length);
    const fill = numberArray(state['fill'], 'state.fill', features.length);
    const intercept = num('intercept');
    if (intercept === undefined) throw new InvalidOptionsError('state.intercept', 'expected a number');
    d.combination = { weights, intercept, fill };
    d.binocularsThreshold = num('binocularsThreshold') ?? null;
    d.isFitted = state['fitted'] === true;
    return d;
  }

  /** Releases the models (shared sessions are freed when no other component holds them). */
  async dispose(): Promise<void> {
    await Promise.all([
      this.lm.dispose(),
      this.observer?.dispose(),
      this.performer && this.performer !== this.lm ? this.performer.dispose() : undefined,
    ]);
  }

  private async measure(
    v: ValidTranscript,
    opts: DetectOptions,
  ): Promise<PerplexityDiversityFeatures | null> {
    const texts = targetMessages(v)
      .map((m) => m.text)
      .filter((s) => s.trim() !== '');
    if (texts.length === 0) return null;
    const units = this.unit === 'joined' ? [texts.join('\n')] : texts;
    const lpMeans: number[] = [];
    const entMeans: number[] = [];
    const pplMeans: number[] = [];
    const xentMeans: number[] = [];
    let scoredTokens = 0;
    const pair =
      this.observer && this.performer ? { observer: this.observer, performer: this.performer } : undefined;
    for (const u of units) {
      // When the performer is the detector's own model, one pass gives both its scores and the cross-entropy.
      const shared =
        pair && pair.performer === this.lm ? await this.lm.crossScores(u, pair.observer, opts) : undefined;
      const s = shared ?? (await this.lm.score(u, opts));
      if (s.logprobs.length === 0) continue;
      scoredTokens += s.logprobs.length;
      lpMeans.push(-meanOf(s.logprobs));
      entMeans.push(meanOf(s.entropies));
      if (pair) {
        const c = shared ?? (await pair.performer.crossScores(u, pair.observer, opts));
        if (c.logprobs.length === 0) continue;
        pplMeans.push(-meanOf(c.logprobs));
        xentMeans.push(meanOf(c.crossEntropies));
      }
    }
    let binoculars: number | null = null;
    let performerLogPerplexity: number | null = null;
    let crossEntropy: number | null = null;
    if (pplMeans.length > 0) {
      performerLogPerplexity = meanOf(pplMeans);
      crossEntropy = meanOf(xentMeans);
      binoculars = crossEntropy > 0 ? performerLogPerplexity / crossEntropy : null;
    }
    const lm: LmFigures = {
      scoredTokens,
      logPerplexity: lpMeans.length > 0 ? meanOf(lpMeans) : null,
      entropyMean: entMeans.length > 0 ? meanOf(entMeans) : null,
      binoculars,
      performerLogPerplexity,
      crossEntropy,
    };
    const diversity = lexicalDiversity(texts, this.diversityOptions);
    const byName: Record<PerplexityFeature, number | null> = {
      log_perplexity: lm.logPerplexity,
      entropy_mean: lm.entropyMean,
      distinct_1: diversity.distinct1,
      distinct_2: diversity.distinct2,
      type_token_ratio: diversity.typeTokenRatio,
      self_repetition: diversity.selfRepetition,
      compression_ratio: diversity.compressionRatio,
      binoculars,
    };
    return { lm, diversity, values: this.featureNames.map((n) => byName[n]) };
  }

  private combine(f: PerplexityDiversityFeatures, started: number): Detection {
    const { weights, intercept, fill } = this.combination;
    let z = intercept;
    const contributions: number[] = [];
    this.featureNames.forEach((_, j) => {
      const x = f.values[j];
      const c = x !== null && x !== undefined && Number.isFinite(x) ? weights[j]! * (x - fill[j]!) : 0;
      z += weights[j]! * fill[j]!;
      contributions.push(c);
    });
    z += contributions.reduce((a, b) => a + b, 0);
    const evidence = perplexityEvidence(f, contributions, {
      featureNames: this.featureNames,
      model: this.lm.model,
      observer: this.observer !== undefined,
      binocularsThreshold: this.binocularsThreshold,
    });
    return scored(this.name, sigmoid(z), this.threshold, evidence, started);
  }
}
