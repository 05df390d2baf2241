import { abstained, scored } from '../core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState, Evidence } from '../core/detector.js';
import {
  beginDetect,
  beginFit,
  checkName,
  checkState,
  checkThreshold,
  definedFields,
  detectEach,
  nonNegativeNumber,
} from '../core/detector-kit.js';
import type { JsonValue } from '../core/json.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../core/transcript.js';
import { targetMessages, validateTranscript } from '../core/validate.js';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { fitLogisticRegression, sigmoid } from '../numeric/logistic-regression.js';
import { CausalLmScorer, type CausalLmScorerOptions } from '../runtime/causal-lm-scorer.js';
import {
  deserializeModelOptions,
  type ModelOptions,
  pickModelOptions,
  serializeModelOptions,
  validateModelOptions,
} from '../runtime/model-options.js';
import {
  type LexicalDiversity,
  type LexicalDiversityOptions,
  lexicalDiversity,
} from '../text/lexical-diversity.js';
import { defaultModelFor } from '../zoo/model-zoo.js';
import { balancedSampleWeights, countBothClasses } from './scalar-calibration.js';

const STATE_VERSION = 1;
const KIND = 'perplexity';
/** The causal LM's windowing options, saved with the state. */
const WINDOW_KEYS = ['windowTokens', 'stride'] as const;

/** How the target's messages are scored by the language model. */
export type PerplexityUnit = 'joined' | 'per-message';

/**
 * Options for {@link PerplexityDiversityDetector}. The model fields (`model`, `modelDir`, `dtype`, ...) choose the
 * causal LM that gives the perplexity and entropy (and plays the performer in Binoculars unless `performer` is
 * set).
 */
export interface PerplexityDiversityOptions extends CausalLmScorerOptions {
  /**
   * The detector's name in results.
   * @defaultValue 'perplexity'
   */
  name?: string;
  /**
   * Score at or above which the label is `bot`.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * `joined`: the target's messages joined with `\n` are scored as one text. `per-message`: each message is
   * scored on its own (no context from the others) and the per-message mean log-probability, mean entropy and
   * cross-entropy are averaged over messages (each message weighs the same, whatever its length); messages of
   * fewer than 2 tokens are skipped.
   * @defaultValue 'joined'
   */
  unit?: PerplexityUnit;
  /**
   * The observer model of the Binoculars score (Hans et al. 2024). Setting it turns Binoculars on. It must share
   * the performer's tokenizer (e.g. `Xenova/distilgpt2` with `Xenova/gpt2`); a mismatch is an error. Binoculars
   * thresholds depend on the model pair, so the score only enters the combination after `fit()`; before, it is
   * reported in the evidence with no contribution.
   * @defaultValue undefined (no Binoculars)
   */
  observer?: ModelOptions;
  /**
   * The performer model of Binoculars (its log-perplexity is the numerator). Needs `observer`.
   * @defaultValue the detector's own model
   */
  performer?: ModelOptions;
  /**
   * How the lexical-diversity figures are measured.
   * @defaultValue `{ mattrWindow: 50, selfRepetitionN: 3 }`
   */
  diversity?: LexicalDiversityOptions;
  /**
   * L2 penalty of the logistic regression `fit()` runs (on standardized signals).
   * @defaultValue 1
   */
  l2?: number;
}

/** The signals the detector combines, in feature-vector order. `binoculars` is present only with an observer. */
export const PERPLEXITY_FEATURES = [
  'log_perplexity',
  'entropy_mean',
  'distinct_1',
  'distinct_2',
  'type_token_ratio',
  'self_repetition',
  'compression_ratio',
  'binoculars',
] as const;

/** One of {@link PERPLEXITY_FEATURES}. */
export type PerplexityFeature = (typeof PERPLEXITY_FEATURES)[number];

/** A linear combination: `z = intercept + Σ weights[j] * (x[j] ?? fill[j])`. */
interface Combination {
  weights: number[];
  intercept: number;
  /** Value used for a signal that cannot be measured (contributes nothing relative to the baseline). */
  fill: number[];
}

/** A hand-set weight for one signal. */
export interface SignalPrior {
  /** Log-odds added per unit of the signal above `reference` (negative: higher values point to human). */
  weight: number;
  /** The value at which the signal contributes nothing. */
  reference: number;
}

/**
 * The hand-set combination used before `fit()`: per signal, a weight (log-odds per unit) and a reference value
 * at which the signal contributes nothing. Reference values are typical of human chat under GPT-2 (perplexity
 * about 90, i.e. log-perplexity 4.5 nats); lower perplexity and entropy, lower diversity, more self-repetition
 * and better compression push towards `bot`. Binoculars has weight 0 here: its threshold must be fitted per
 * model pair. These are rough priors, not measurements: call `fit()` on labelled data for real use.
 */
export const DEFAULT_PERPLEXITY_COMBINATION: Readonly<Record<PerplexityFeature, SignalPrior>> = Object.freeze(
  {
    log_perplexity: { weight: -0.8, reference: 4.5 },
    entropy_mean: { weight: -0.3, reference: 4.5 },
    distinct_1: { weight: -2, reference: 0.8 },
    distinct_2: { weight: -3, reference: 0.95 },
    type_token_ratio: { weight: -1, reference: 0.8 },
    self_repetition: { weight: 4, reference: 0.05 },
    compression_ratio: { weight: 1, reference: 1.2 },
    binoculars: { weight: 0, reference: 0.9 },
  },
);

/** The language-model figures of one target, before combination. */
export interface LmFigures {
  /** LM tokens scored (after the first of each text). */
  scoredTokens: number;
  /** Mean negative log-probability (nats), or `null` when nothing could be scored. */
  logPerplexity: number | null;
  /** Mean next-token entropy (nats), or `null`. */
  entropyMean: number | null;
  /** Binoculars score (performer log-perplexity / mean cross-entropy), or `null` without an observer. */
  binoculars: number | null;
  /** Performer log-perplexity used in Binoculars, or `null`. */
  performerLogPerplexity: number | null;
  /** Mean observer-vs-performer cross-entropy (nats), or `null`. */
  crossEntropy: number | null;
}

/** Every figure the detector measured for one target. */
export interface PerplexityDiversityFeatures {
  /** Language-model figures. */
  lm: LmFigures;
  /** Lexical-diversity figures. */
  diversity: LexicalDiversity;
  /** The feature vector, in {@link PerplexityDiversityDetector.featureNames} order; `null` = not measurable. */
  values: (number | null)[];
}

/**
 * Judges a speaker by how predictable and how varied their text is. A causal LM (default `Xenova/gpt2`) gives
 * per-token log-probabilities: perplexity and the mean entropy of its next-token distribution. With a second
 * model (`observer`) it also computes the Binoculars score (Hans et al. 2024). Lexical diversity adds distinct-1,
 * distinct-2, the moving-average type-token ratio, self-repetition across messages and compression ratio:
 * bots, scripted ones above all, often show lower diversity.
 *
 * `P(bot) = sigmoid(intercept + Σ weight × signal)`, with hand-set weights ({@link DEFAULT_PERPLEXITY_COMBINATION})
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
    const name = checkName(options.name, KIND);
    const threshold = checkThreshold(options.threshold);
    const unit = options.unit ?? 'joined';
    if (unit !== 'joined' && unit !== 'per-message') {
      throw new InvalidOptionsError('unit', `got ${JSON.stringify(unit)}; use "joined" or "per-message"`);
    }
    const l2 = nonNegativeNumber('l2', options.l2 ?? 1);
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
    const { started, v } = beginDetect(this.name, t, opts.signal);
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
    const vs = beginFit(this.name, examples, opts.signal);
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
    const state: DetectorState = {
      kind: KIND,
      version: STATE_VERSION,
      name: this.name,
      threshold: this.threshold,
      unit: this.unit,
      l2: this.l2,
      model: { ...serializeModelOptions(mainModelOptions(o)) },
      diversity: { ...this.diversityOptions },
      features: [...this.featureNames],
      weights: [...this.combination.weights],
      intercept: this.combination.intercept,
      fill: [...this.combination.fill],
      fitted: this.isFitted,
      binocularsThreshold: this.binocularsThreshold,
      ...definedFields(o, WINDOW_KEYS),
    };
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
    checkState(state, {
      kind: KIND,
      version: STATE_VERSION,
      owner: 'PerplexityDiversityDetector',
      label: 'perplexity',
    });
    const opts: PerplexityDiversityOptions = { ...deserializeModelOptions(state['model']) };
    const str = (k: string) => {
      const v = state[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'string')
        throw new InvalidOptionsError(`state.${k}`, `expected a string, got ${JSON.stringify(v)}`);
      return v;
    };
    const num = (k: string) => {
      const v = state[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new InvalidOptionsError(`state.${k}`, `expected a number, got ${JSON.stringify(v)}`);
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
    const div = state['diversity'];
    if (typeof div === 'object' && div !== null && !Array.isArray(div)) {
      opts.diversity = {};
      if (typeof div['mattrWindow'] === 'number') opts.diversity.mattrWindow = div['mattrWindow'];
      if (typeof div['selfRepetitionN'] === 'number') opts.diversity.selfRepetitionN = div['selfRepetitionN'];
    }
    const d = new PerplexityDiversityDetector({ ...opts, ...overrides });
    const features = state['features'];
    if (!Array.isArray(features) || features.join(',') !== d.featureNames.join(',')) {
      throw new InvalidOptionsError(
        'state.features',
        `expected [${d.featureNames.join(', ')}] for this configuration, got ${JSON.stringify(features)}: the observer setting must match the one fitted`,
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
    const evidence = this.evidence(f, contributions);
    return scored(this.name, sigmoid(z), this.threshold, evidence, started);
  }

  private evidence(f: PerplexityDiversityFeatures, contributions: number[]): Evidence[] {
    const c = (n: PerplexityFeature) => contributions[this.featureNames.indexOf(n)] ?? 0;
    const dir = (x: number) => (x > 0 ? 'points to bot' : x < 0 ? 'points to human' : 'is neutral');
    const model = this.lm.model;
    const lm = f.lm;
    const d = f.diversity;
    const ev: Evidence[] = [];
    const ppl = lm.logPerplexity === null ? null : Math.exp(lm.logPerplexity);
    ev.push(
      ppl === null
        ? { name: 'perplexity', value: null, sentence: 'Too few tokens for a perplexity.', contribution: 0 }
        : {
            name: 'perplexity',
            value: ppl,
            sentence: `Perplexity ${fmt(ppl)} under ${model} over ${lm.scoredTokens} tokens: ${
              c('log_perplexity') > 0
                ? 'more predictable than typical, which points to bot'
                : c('log_perplexity') < 0
                  ? 'less predictable than typical, which points to human'
                  : 'neutral'
            }.`,
            contribution: c('log_perplexity'),
          },
    );
    ev.push(
      lm.entropyMean === null
        ? {
            name: 'entropy_mean',
            value: null,
            sentence: 'Too few tokens for a next-token entropy.',
            contribution: 0,
          }
        : {
            name: 'entropy_mean',
            value: lm.entropyMean,
            sentence: `Mean next-token entropy ${fmt(lm.entropyMean)} nats; it ${dir(c('entropy_mean'))}.`,
            contribution: c('entropy_mean'),
          },
    );
    if (this.observer) {
      const t = this.binocularsThreshold;
      ev.push(
        lm.binoculars === null
          ? {
              name: 'binoculars',
              value: null,
              sentence: 'Too few tokens for a Binoculars score.',
              contribution: 0,
            }
          : {
              name: 'binoculars',
              value: lm.binoculars,
              sentence:
                t === null
                  ? `Binoculars score ${fmt(lm.binoculars)} (log-perplexity ${fmt(lm.performerLogPerplexity!)} / cross-entropy ${fmt(lm.crossEntropy!)}); not used until fit() sets its threshold for this model pair.`
                  : `Binoculars score ${fmt(lm.binoculars)} is ${lm.binoculars < t ? 'below' : 'at or above'} the fitted threshold ${fmt(t)} (${lm.binoculars < t ? 'machine-like' : 'human-like'}); it ${dir(c('binoculars'))}.`,
              contribution: c('binoculars'),
            },
      );
    }
    const div = (name: PerplexityFeature, value: number | null, what: string, missing: string) =>
      ev.push(
        value === null
          ? { name, value: null, sentence: missing, contribution: 0 }
          : { name, value, sentence: `${what} ${fmt(value)}; it ${dir(c(name))}.`, contribution: c(name) },
      );
    div(
      'distinct_1',
      d.distinct1,
      'Distinct-1 (share of words that are new)',
      'No words to measure distinct-1.',
    );
    div(
      'distinct_2',
      d.distinct2,
      'Distinct-2 (share of distinct word pairs)',
      'No message has two words: distinct-2 not measured.',
    );
    div(
      'type_token_ratio',
      d.typeTokenRatio,
      'Moving-average type-token ratio',
      'No words to measure the type-token ratio.',
    );
    div(
      'self_repetition',
      d.selfRepetition,
      'Share of word 3-grams repeated across messages',
      'Fewer than two messages long enough to compare: self-repetition not measured.',
    );
    div('compression_ratio', d.compressionRatio, 'Compression ratio (DEFLATE)', 'No text to compress.');
    return ev;
  }
}

function mainModelOptions(o: PerplexityDiversityOptions): CausalLmScorerOptions {
  const out: CausalLmScorerOptions = { ...pickModelOptions(o), ...definedFields(o, WINDOW_KEYS) };
  out.model ??= defaultModelFor('perplexity').id;
  return out;
}

function defaultCombination(names: readonly PerplexityFeature[]): Combination {
  const weights = names.map((n) => DEFAULT_PERPLEXITY_COMBINATION[n].weight);
  const fill = names.map((n) => DEFAULT_PERPLEXITY_COMBINATION[n].reference);
  // Zero log-odds when every signal sits at its reference value.
  const intercept = -weights.reduce((s, w, j) => s + w * fill[j]!, 0);
  return { weights, intercept, fill };
}

/** The cut t on x (bot when x < t) with the best balanced accuracy; midpoints between sorted values. */
function bestThreshold(x: readonly number[], y: readonly number[]): number {
  const pairs = x.map((v, i) => [v, y[i]!] as const).sort((a, b) => a[0] - b[0]);
  const nBot = y.reduce((s, v) => s + v, 0);
  const nHuman = y.length - nBot;
  let best = -1;
  let bestT = pairs[0]![0];
  let botsBelow = 0;
  let humansBelow = 0;
  for (let i = 0; i <= pairs.length; i++) {
    if (i > 0) {
      if (pairs[i - 1]![1] === 1) botsBelow++;
      else humansBelow++;
    }
    if (i > 0 && i < pairs.length && pairs[i]![0] === pairs[i - 1]![0]) continue;
    const t =
      i === 0
        ? pairs[0]![0]
        : i === pairs.length
          ? pairs[i - 1]![0] + 1e-9
          : (pairs[i - 1]![0] + pairs[i]![0]) / 2;
    const bal = botsBelow / nBot / 2 + (nHuman - humansBelow) / nHuman / 2;
    if (bal > best) {
      best = bal;
      bestT = t;
    }
  }
  return bestT;
}

function numberArray(v: JsonValue | undefined, what: string, length: number): number[] {
  if (
    !Array.isArray(v) ||
    v.length !== length ||
    !v.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw new InvalidOptionsError(what, `expected ${length} finite numbers`);
  }
  return v as number[];
}

function meanOf(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(3);
}
