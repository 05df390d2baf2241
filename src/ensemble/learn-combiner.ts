import type { Detector } from '../core/detector.js';
import type { LabelledTranscript, ValidTranscript } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { ResolvedEnsembleOptions } from './ensemble-options.js';
import type { MemberExamples } from './member-examples.js';
import { outOfFoldScores } from './out-of-fold.js';
import { createStrategy } from './strategies/create-strategy.js';
import type { EnsembleCombiner } from './strategies/strategy.js';

/**
 * A fresh combiner of the ensemble's strategy, fitted on out-of-fold member scores (see `outOfFoldScores`):
 * the learning half of `Ensemble.fit` for `stacking` and `cascade`. The members are left fitted on the last
 * fold's training split; the caller re-fits them on all examples.
 *
 * @param members - the ensemble's members
 * @param examples - labelled transcripts (both labels needed)
 * @param valids - the same, validated
 * @param o - the ensemble's resolved options (strategy, folds, seed, cloning)
 * @param prefixCuts - also learn from the examples cut after these many target messages
 * @param memberExamples - what members are fitted on (the examples and their cuts, `o.memberPrefixCuts` of
 *   those `cutSources` picks), shared with the caller's final fit
 * @param signal - cancels the work
 * @param what - the operation, for error messages
 * @param groups - per example, its group: the out-of-fold scores then come from folds that keep groups whole
 *   (`groupFolds`); stratified folds when absent
 * @throws InvalidOptionsError when a label is missing, or the groups cannot be split
 * @internal
 */
export async function learnCombiner(
  members: readonly Detector[],
  examples: readonly LabelledTranscript[],
  valids: readonly ValidTranscript[],
  o: ResolvedEnsembleOptions,
  prefixCuts: readonly number[] | undefined,
  memberExamples: MemberExamples,
  signal: AbortSignal | undefined,
  what: string,
  groups?: readonly string[],
): Promise<EnsembleCombiner> {
  const labels = examples.map((e) => e.label);
  if (!labels.includes('bot') || !labels.includes('human')) {
    throw new InvalidOptionsError(
      'examples',
      `${o.strategy} needs both human and bot examples to learn its combiner`,
    );
  }
  const fitted = createStrategy(o);
  const rows = await outOfFoldScores(members, examples, valids, {
    folds: o.folds,
    seed: o.seed,
    groups,
    cloneMember: o.cloneMember,
    signal,
    what,
    ...(prefixCuts !== undefined && { prefixCuts }),
    memberExamples,
    features: fitted.learnsFeatures,
  });
  fitted.fit(rows.rows, rows.labels);
  return fitted;
}
