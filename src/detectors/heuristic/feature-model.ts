import { describeValue } from '../../core/describe-value.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { STYLE_FEATURE_NAMES, type StyleFeatureName } from './style-feature-types.js';

/**
 * How one signal enters the score: `contribution = weight * clamp((transform(value) - mean) / scale, ±5)`.
 * `mean` and `scale` are in transformed units (`log1p` for words per message, emoji, links and typing speed;
 * `log1p` of seconds for the median delay; the raw value otherwise); a missing value contributes 0, which is the
 * same as imputing the mean.
 */
export interface FeatureWeight {
  /** Log-odds added per standard deviation of the transformed signal; positive points toward bot. */
  weight: number;
  /** Mean of the transformed signal (on training data). */
  mean: number;
  /** Standard deviation of the transformed signal (positive). */
  scale: number;
}

/**
 * The parameters of the heuristic score: `P(bot) = sigmoid(intercept + Σ contributions)`.
 *
 * @example
 * ```ts
 * const w: HeuristicWeights = {
 *   intercept: -0.3,
 *   features: { question_rate: { weight: 0.5, mean: 0.35, scale: 0.3 } },
 * };
 * ```
 */
export interface HeuristicWeights {
  /** Log-odds of bot when every signal sits at its mean. */
  intercept: number;
  /** Per-signal weights; a signal left out keeps its default. */
  features: Partial<Record<StyleFeatureName, FeatureWeight>>;
}

/** {@link HeuristicWeights} with every signal present. */
export interface CompleteHeuristicWeights {
  /** Log-odds of bot when every signal sits at its mean. */
  intercept: number;
  /** Weights of every signal. */
  features: Record<StyleFeatureName, FeatureWeight>;
}

/** Largest standardized value used; keeps one outlying signal from deciding alone. */
export const Z_CLIP = 5;

const identity = (v: number): number => v;
/** `log1p` of a delay in seconds (negative delays count as 0), from milliseconds. */
const logDelaySeconds = (ms: number): number => Math.log1p(Math.max(0, ms) / 1000);

/**
 * The transform applied to each raw signal before standardizing. Heavy-tailed counts and times use `log1p`;
 * delays are taken in seconds first.
 */
export const FEATURE_TRANSFORMS: Readonly<Record<StyleFeatureName, (v: number) => number>> = Object.freeze({
  mean_words: Math.log1p,
  length_cv: identity,
  short_reply_share: identity,
  multi_sentence_share: identity,
  end_punctuation_share: identity,
  question_rate: identity,
  tokenizer_spacing_share: identity,
  trailing_space_share: identity,
  lowercase_share: identity,
  capitalised_start_share: identity,
  punctuation_rate: identity,
  emoji_rate: Math.log1p,
  link_rate: Math.log1p,
  exact_repeat_share: identity,
  near_repeat_mean: identity,
  echo_similarity: identity,
  median_delay_ms: logDelaySeconds,
  delay_cv: identity,
  fast_reply_share: identity,
  typing_speed_cps: Math.log1p,
});

/** {@link FEATURE_TRANSFORMS} in `STYLE_FEATURE_NAMES` order. */
const TRANSFORMS_IN_ORDER: readonly ((v: number) => number)[] = STYLE_FEATURE_NAMES.map(
  (name) => FEATURE_TRANSFORMS[name],
);

/** Which of the three transforms each entry of {@link TRANSFORMS_IN_ORDER} is (3: another, called as is). */
const TRANSFORM_KIND = Int8Array.from(TRANSFORMS_IN_ORDER, (f) =>
  f === identity ? 0 : f === Math.log1p ? 1 : f === logDelaySeconds ? 2 : 3,
);

/**
 * `TRANSFORMS_IN_ORDER[k](v)` through direct calls, which are inlined: the one call site of the functions in
 * the array was megamorphic, a call through a lookup for each of the 20 signals of a detection.
 */
function transformAt(k: number, v: number): number {
  const kind = TRANSFORM_KIND[k]!;
  return kind === 0
    ? identity(v)
    : kind === 1
      ? Math.log1p(v)
      : kind === 2
        ? logDelaySeconds(v)
        : TRANSFORMS_IN_ORDER[k]!(v);
}

/**
 * A model's numbers in `STYLE_FEATURE_NAMES` order, for scoring: reading the weights by signal name (keyed
 * lookups on three records per signal) cost more than the arithmetic.
 */
export interface PackedWeights {
  intercept: number;
  weight: Float64Array;
  mean: Float64Array;
  scale: Float64Array;
}

/** `w` as {@link PackedWeights} (the same numbers: a Float64Array holds every double exactly). */
export function packWeights(w: CompleteHeuristicWeights): PackedWeights {
  const n = STYLE_FEATURE_NAMES.length;
  const p = {
    intercept: w.intercept,
    weight: new Float64Array(n),
    mean: new Float64Array(n),
    scale: new Float64Array(n),
  };
  STYLE_FEATURE_NAMES.forEach((name, k) => {
    const fw = w.features[name];
    p.weight[k] = fw.weight;
    p.mean[k] = fw.mean;
    p.scale[k] = fw.scale;
  });
  return p;
}

/**
 * `weight * standardize(...)` of the `k`-th signal (`STYLE_FEATURE_NAMES` order) measured as `value`: the
 * same operations in the same order, so the same double.
 */
export function contributionAt(k: number, value: number, p: PackedWeights): number {
  const z = (transformAt(k, value) - p.mean[k]!) / p.scale[k]!;
  return p.weight[k]! * Math.min(Z_CLIP, Math.max(-Z_CLIP, z));
}

/** The standardized, clipped value of one raw signal; 0 when it is missing. */
export function standardize(name: StyleFeatureName, value: number | null, fw: FeatureWeight): number {
  if (value === null) return 0;
  const z = (FEATURE_TRANSFORMS[name](value) - fw.mean) / fw.scale;
  return Math.min(Z_CLIP, Math.max(-Z_CLIP, z));
}

/**
 * Fills `partial` in from `base` and checks every number.
 *
 * @throws InvalidOptionsError naming the bad entry
 */
export function completeWeights(
  partial: HeuristicWeights | undefined,
  base: CompleteHeuristicWeights,
  option = 'weights',
): CompleteHeuristicWeights {
  if (partial === undefined) return base;
  if (typeof partial !== 'object' || partial === null) {
    throw new InvalidOptionsError(
      option,
      'expected { intercept, features: { [signal]: { weight, mean, scale } } }',
    );
  }
  const intercept = partial.intercept ?? base.intercept;
  if (!Number.isFinite(intercept))
    throw new InvalidOptionsError(
      `${option}.intercept`,
      `expected a finite number, got ${describeValue(intercept)}`,
    );
  const given = partial.features ?? {};
  for (const k of Object.keys(given)) {
    if (!(STYLE_FEATURE_NAMES as readonly string[]).includes(k)) {
      throw new InvalidOptionsError(
        `${option}.features`,
        `unknown signal "${k}"; known: ${STYLE_FEATURE_NAMES.join(', ')}`,
      );
    }
  }
  const features = {} as Record<StyleFeatureName, FeatureWeight>;
  for (const name of STYLE_FEATURE_NAMES) {
    const fw = given[name] ?? base.features[name];
    const where = `${option}.features.${name}`;
    if (typeof fw !== 'object' || fw === null)
      throw new InvalidOptionsError(where, 'expected { weight, mean, scale }');
    if (!Number.isFinite(fw.weight))
      throw new InvalidOptionsError(
        `${where}.weight`,
        `expected a finite number, got ${describeValue(fw.weight)}`,
      );
    if (!Number.isFinite(fw.mean))
      throw new InvalidOptionsError(
        `${where}.mean`,
        `expected a finite number, got ${describeValue(fw.mean)}`,
      );
    if (!(Number.isFinite(fw.scale) && fw.scale > 0)) {
      throw new InvalidOptionsError(
        `${where}.scale`,
        `expected a positive number, got ${describeValue(fw.scale)}`,
      );
    }
    features[name] = { weight: fw.weight, mean: fw.mean, scale: fw.scale };
  }
  return { intercept, features };
}

/** A deep copy of `w`. */
export function cloneWeights(w: CompleteHeuristicWeights): CompleteHeuristicWeights {
  const features = {} as Record<StyleFeatureName, FeatureWeight>;
  for (const name of STYLE_FEATURE_NAMES) features[name] = { ...w.features[name] };
  return { intercept: w.intercept, features };
}

/**
 * A base that makes {@link completeWeights} reject any signal missing from a saved state.
 *
 * @throws InvalidOptionsError naming the missing signal or a bad intercept
 */
export function requireAll(weights: object, base: CompleteHeuristicWeights): CompleteHeuristicWeights {
  const features = (weights as { features?: unknown }).features;
  if (typeof features !== 'object' || features === null) {
    throw new InvalidOptionsError('state.weights.features', 'expected an object with one entry per signal');
  }
  for (const name of STYLE_FEATURE_NAMES) {
    if (!(name in features)) {
      throw new InvalidOptionsError(
        `state.weights.features.${name}`,
        'missing: the state was saved by another botlens version; refit',
      );
    }
  }
  const intercept = (weights as { intercept?: unknown }).intercept;
  if (typeof intercept !== 'number') {
    throw new InvalidOptionsError(
      'state.weights.intercept',
      `expected a number, got ${describeValue(intercept)}`,
    );
  }
  return base;
}
