import { definedFields } from '../../core/detector-kit.js';
import type { JsonValue } from '../../core/json.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import type { CausalLmScorerOptions } from '../../runtime/causal-lm/causal-lm-types.js';
import { pickModelOptions } from '../../runtime/model-options.js';
import { defaultModelFor } from '../../zoo/model-zoo.js';
import type { Combination, PerplexityDiversityOptions, PerplexityFeature } from './perplexity-options.js';
import { DEFAULT_PERPLEXITY_COMBINATION, WINDOW_KEYS } from './perplexity-options.js';

/** The main LM's options, with the zoo default model. @internal */
export function mainModelOptions(o: PerplexityDiversityOptions): CausalLmScorerOptions {
  const out: CausalLmScorerOptions = { ...pickModelOptions(o), ...definedFields(o, WINDOW_KEYS) };
  out.model ??= defaultModelFor('perplexity').id;
  return out;
}

export function defaultCombination(names: readonly PerplexityFeature[]): Combination {
  const weights = names.map((n) => DEFAULT_PERPLEXITY_COMBINATION[n].weight);
  const fill = names.map((n) => DEFAULT_PERPLEXITY_COMBINATION[n].reference);
  // Zero log-odds when every signal sits at its reference value.
  const intercept = -weights.reduce((s, w, j) => s + w * fill[j]!, 0);
  return { weights, intercept, fill };
}

/** The cut t on x (bot when x < t) with the best balanced accuracy; midpoints between sorted values. */
export function bestThreshold(x: readonly number[], y: readonly number[]): number {
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

export function numberArray(v: JsonValue | undefined, what: string, length: number): number[] {
  if (
    !Array.isArray(v) ||
    v.length !== length ||
    !v.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw new InvalidOptionsError(what, `expected ${length} finite numbers`);
  }
  return v as number[];
}

export function meanOf(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(3);
}
