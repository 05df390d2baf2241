import type { Detector } from '../core/detector.js';
import type { LabelledTranscript, ValidTranscript } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { ResolvedEnsembleOptions } from './ensemble-options.js';
import { copiesOf, cutSources, MemberExamples } from './member-examples.js';
import { type OutOfFoldRows, outOfFoldScores } from './out-of-fold.js';
import { createStrategy } from './strategies/create-strategy.js';
import type { EnsembleCombiner } from './strategies/strategy.js';

/**
 * The seed of bag `k` of a bagged combiner (option `combinerBags`): the ensemble's own seed for bag 0, so one bag
 * is today's fit, and a fixed mix of seed and `k` (an integer) for the others.
 *
 * @param seed - the ensemble's seed
 * @param k - the bag, from 0
 * @internal
 */
export function bagSeed(seed: number, k: number): number {
  return k === 0 ? seed : (seed + Math.imul(k, 0x9e3779b1)) | 0;
}

/**
 * A fresh combiner of the ensemble's strategy, fitted on out-of-fold member scores (see `outOfFoldScores`):
 * the learning half of `Ensemble.fit` for `stacking` and `cascade`. The members are left fitted on the last
 * fold's training split; the caller re-fits them on all examples.
 *
 * With `o.combinerBags` = K above 1, the out-of-fold scores are collected K times, bag k under the seed
 * `bagSeed(o.seed, k)` (its stratified fold split, when not grouped, and which examples' cuts the members learn
 * from), and one combiner is fitted on all K copies of the rows, its L2 penalty times K so it weighs against the
 * data as with one copy. Bag 0 is the single fit's, so K = 1 is exactly the unbagged fit.
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
  const bags = o.combinerBags;
  const fitted = createStrategy(bags === 1 ? o : { ...o, l2: o.l2 * bags });
  const all: OutOfFoldRows = { rows: [], labels: [] };
  for (let k = 0; k < bags; k++) {
    const seed = bagSeed(o.seed, k);
    const bagExamples =
      k === 0
        ? memberExamples
        : new MemberExamples(
            examples,
            o.memberPrefixCuts,
            cutSources(labels, o.memberPrefixCutShare, seed),
            copiesOf(examples, valids),
          );
    const rows = await outOfFoldScores(members, examples, valids, {
      folds: o.folds,
      seed,
      groups,
      cloneMember: o.cloneMember,
      signal,
      what,
      ...(prefixCuts !== undefined && { prefixCuts }),
      memberExamples: bagExamples,
      features: fitted.learnsFeatures,
    });
    if (bags === 1) {
      fitted.fit(rows.rows, rows.labels);
      return fitted;
    }
    all.rows.push(...rows.rows);
    all.labels.push(...rows.labels);
  }
  fitted.fit(all.rows, all.labels);
  return fitted;
}
