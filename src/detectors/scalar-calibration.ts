import type { JsonValue } from '../core/json.js';
import type { LabelledTranscript } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { fitLogisticRegression } from '../numeric/logistic-regression.js';

/**
 * Checks that 0/1 targets (1 = bot) hold both classes and counts the bots.
 *
 * @param y - one target per example
 * @param which - what the counted examples have, appended to "at least one bot and one human example", e.g.
 *   ` whose target wrote text` (with its leading space), or `''`
 * @returns the number of bots
 * @throws InvalidOptionsError naming `examples` when a class is missing
 *
 * @internal
 */
export function countBothClasses(y: readonly number[], which: string): number {
  const bots = y.reduce((s, v) => s + v, 0);
  if (bots === 0 || bots === y.length) {
    throw new InvalidOptionsError(
      'examples',
      `fit needs at least one bot and one human example${which}; got ${bots} bot and ${y.length - bots} human`,
    );
  }
  return bots;
}

/**
 * Per-example weights that give both classes the same total weight (`n / (2 n_class)` each).
 *
 * @param y - one 0/1 target per example (1 = bot)
 * @param bots - how many targets are 1
 *
 * @internal
 */
export function balancedSampleWeights(y: readonly number[], bots: number): number[] {
  return y.map((l) => (l === 1 ? y.length / (2 * bots) : y.length / (2 * (y.length - bots))));
}

/** A fitted mapping from one signal `x` to P(bot): `sigmoid(a * x + b)`. */
export interface ScalarCalibration {
  /** Slope. */
  a: number;
  /** Intercept. */
  b: number;
}

/**
 * Fits `P(bot) = sigmoid(a * x + b)` on one signal by logistic regression, classes weighted to balance.
 * Examples whose signal is `null` are skipped.
 *
 * @param xs - the signal of each example, or `null` when it could not be measured
 * @param examples - the labelled examples, in the same order
 * @param l2 - L2 penalty
 * @param which - what the examples that count have, for the error (see {@link countBothClasses})
 * @throws InvalidOptionsError when the measured examples lack a class
 *
 * @internal
 */
export function fitScalarCalibration(
  xs: readonly (number | null)[],
  examples: readonly LabelledTranscript[],
  l2: number,
  which: string,
): ScalarCalibration {
  const X: number[][] = [];
  const y: number[] = [];
  xs.forEach((x, i) => {
    if (x === null) return;
    X.push([x]);
    y.push(examples[i]!.label === 'bot' ? 1 : 0);
  });
  const bots = countBothClasses(y, which);
  const m = fitLogisticRegression(X, y, { l2, sampleWeights: balancedSampleWeights(y, bots) });
  return { a: m.weights[0]!, b: m.intercept };
}

/**
 * Reads a saved calibration (`{ a, b }` or `null`) from a detector state.
 *
 * @param value - `state.calibration`
 * @returns the calibration, or `null` when none was saved
 * @throws InvalidOptionsError naming `state.calibration` for anything else
 *
 * @internal
 */
export function readScalarCalibration(value: JsonValue | undefined): ScalarCalibration | null {
  if (value === null || value === undefined) return null;
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    typeof value['a'] !== 'number' ||
    typeof value['b'] !== 'number'
  ) {
    throw new InvalidOptionsError('state.calibration', 'expected { a: number, b: number } or null');
  }
  return { a: value['a'], b: value['b'] };
}
