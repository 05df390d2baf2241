import { describeValue } from '../core/describe-value.js';
import { formatRange, inRange, OPEN_SHARE } from '../core/number-range.js';
import type { Label } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { logit } from '../numeric/logistic-regression.js';
import type { Combination } from './combination.js';
import { refuseOptionFor } from './strategy-options.js';
import type { EnsembleStrategy } from './types.js';

/**
 * Checks the `prior` ensemble option: a share of bots strictly between 0 and 1, for a `stacking` ensemble (the
 * only strategy whose probabilities carry a learned prior).
 *
 * @param prior - the option as given (`undefined`: none)
 * @param strategy - the ensemble's strategy
 * @returns the prior, or `null` when none was given
 * @throws InvalidOptionsError naming `prior`
 * @internal
 */
export function checkPrior(prior: unknown, strategy: EnsembleStrategy): number | null {
  if (prior === undefined) return null;
  if (!inRange(prior, OPEN_SHARE)) {
    throw new InvalidOptionsError(
      'prior',
      `got ${describeValue(prior)}; use the share of bots expected where the ensemble is used, in ${formatRange(OPEN_SHARE)}, e.g. 0.5`,
    );
  }
  refuseOptionFor('prior', strategy);
  return prior;
}

/**
 * The share of bots among the whole transcripts of a combiner's training rows (cuts are left out: they repeat
 * their conversation's label), kept away from 0 and 1 so its log-odds stay finite.
 *
 * @param labels - each row's label
 * @param whole - per row, whether it is a whole transcript
 * @internal
 */
export function trainingBotShare(labels: readonly Label[], whole: (i: number) => boolean): number {
  let n = 0;
  let bots = 0;
  labels.forEach((l, i) => {
    if (!whole(i)) return;
    n++;
    if (l === 'bot') bots++;
  });
  return Math.min(1 - 1e-6, Math.max(1e-6, n === 0 ? 0.5 : bots / n));
}

/**
 * How far a changed prior moves every verdict's log-odds: `logit(prior) - logit(trainingShare)` (Bayes' rule
 * with the class-conditional evidence unchanged), 0 without a prior.
 *
 * @param prior - the `prior` option (`null`: none)
 * @param trainingShare - the share of bots the combiner was fitted on (`undefined` in earlier state)
 * @internal
 */
export function priorShift(prior: number | null, trainingShare: number | undefined): number {
  if (prior === null || trainingShare === undefined) return 0;
  return logit(prior) - logit(trainingShare);
}

/**
 * The combination with its log-odds moved by `shift`, and a `prior_shift` note that carries the shift (so the
 * explanation stays additive). The same combination when the shift is 0.
 *
 * @param c - the combination
 * @param shift - from {@link priorShift}
 * @param prior - the `prior` option
 * @param trainingShare - the training share it shifts from
 * @internal
 */
export function withPriorShift(
  c: Combination,
  shift: number,
  prior: number | null,
  trainingShare: number | undefined,
): Combination {
  if (shift === 0 || c.logOdds === null || prior === null || trainingShare === undefined) return c;
  const pct = (p: number): string => `${(100 * p).toFixed(1)}%`;
  return {
    ...c,
    logOdds: c.logOdds + shift,
    notes: [
      ...(c.notes ?? []),
      {
        name: 'prior_shift',
        value: prior,
        contribution: shift,
        sentence: `The ensemble expects ${pct(prior)} bots where it is used against ${pct(trainingShare)} in its training examples, which moves the log-odds by ${shift >= 0 ? '+' : ''}${shift.toFixed(2)}.`,
      },
    ],
  };
}
