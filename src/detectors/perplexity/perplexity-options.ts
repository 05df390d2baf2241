import type { ModelOptions } from '../../runtime/model-options.js';
import type { LexicalDiversity } from '../../text/lexical-diversity.js';

/**
 * The causal LM's windowing options, saved with the state.
 *
 * @internal
 */
export const WINDOW_KEYS = ['windowTokens', 'stride'] as const;

/** How the target's messages are scored by the language model. */
export type PerplexityUnit = 'joined' | 'per-message';

/**
 * Options for {@link PerplexityDiversityDetector}. The model fields (`model`, `modelDir`, `dtype`, ...) choose the
 * causal LM that gives the perplexity and entropy (and plays the performer in Binoculars unless `performer` is
 * set).
 */
export interface PerplexityDiversityOptions extends ModelOptions {
  /**
   * Most tokens per forward pass; longer texts are scored in sliding windows of this size (one window's logits,
   * `windowTokens x vocabulary x 4` bytes, are held at a time).
   * @defaultValue the model's context length, capped at 1024
   */
  windowTokens?: number;
  /**
   * How far each window moves past the previous one, in tokens (1 to `windowTokens - 1`).
   * @defaultValue half of `windowTokens`
   */
  stride?: number;
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
  diversity?: {
    /** Window of the moving-average type-token ratio (default 50). */
    mattrWindow?: number;
    /** N-gram length of the self-repetition rate (default 3). */
    selfRepetitionN?: number;
  };
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

/**
 * A linear combination: `z = intercept + Σ weights[j] * (x[j] ?? fill[j])`.
 *
 * @internal
 */
export interface Combination {
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
