import { z } from 'zod';
import type { Detector, DetectorState } from '../core/detector.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { ResolvedEnsembleOptions } from './ensemble-options.js';
import { featureWeightCount } from './member-features.js';
import { noveltyStateSchema } from './novelty.js';
import { checkPrior } from './prior-shift.js';
import { combinerSizes, EVIDENCE_TERMS } from './stacking.js';
import type { StrategyState } from './strategies/strategy.js';
import { optionsFor } from './strategy-options.js';
import {
  ENSEMBLE_STRATEGIES,
  type EnsembleOptions,
  type EnsembleState,
  type UnserializedMemberState,
} from './types.js';

const combinerSchema = z.object({
  weights: z.array(z.number().finite()),
  intercept: z.number().finite(),
  memberFeatures: z
    .array(z.object({ member: z.number().int().nonnegative(), names: z.array(z.string().min(1)).min(1) }))
    .optional(),
});

const stateSchema = z.object({
  kind: z.literal('ensemble', { error: 'kind must be "ensemble"' }),
  version: z.literal(1, { error: 'version must be 1 (this botlens reads ensemble state version 1)' }),
  name: z.string().min(1),
  strategy: z.enum(ENSEMBLE_STRATEGIES),
  threshold: z.number().min(0).max(1),
  weights: z.record(z.string(), z.number().finite().nonnegative()),
  costs: z.record(z.string(), z.number().finite()).nullable(),
  margin: z.number().finite().positive(),
  folds: z.number().int().min(2),
  seed: z.number().int(),
  l2: z.number().finite().nonnegative(),
  combiner: combinerSchema.nullable(),
  combiners: z.array(combinerSchema).nullable(),
  novelty: noveltyStateSchema.nullable().optional(),
  memberPrefixCuts: z.array(z.number().int().positive()).optional(),
  memberPrefixCutShare: z.number().gt(0).max(1).optional(),
  memberFeatures: z.boolean().optional(),
  prior: z.number().gt(0).lt(1).optional(),
  trainingBotShare: z.number().gt(0).lt(1).optional(),
  groupedFolds: z.literal(true).optional(),
  memberNames: z.array(z.string().min(1)).min(1),
  members: z.array(z.looseObject({ kind: z.string(), version: z.number() })),
});

/**
 * Checks that a value is ensemble state this version can read, and that its parts agree with each other
 * (one member state per name, combiner sizes matching the member count).
 *
 * @param state - typically parsed JSON
 * @param priorAtLoad - a prior given at load (`EnsembleFromJsonOptions.prior`): checked as the constructor checks
 *   one, then, like a saved prior, against the training share the state must record to honour it
 * @throws InvalidOptionsError naming the first bad field
 *
 * @internal
 */
export function parseEnsembleState(state: unknown, priorAtLoad?: number): EnsembleState {
  const r = stateSchema.safeParse(state);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map(String).join('.') || '(root)';
    throw new InvalidOptionsError(
      'state',
      `not valid ensemble state at ${path}: ${issue.message}. Pass what Ensemble.toJSON() returned.`,
    );
  }
  const s = r.data as EnsembleState;
  const m = s.memberNames.length;
  if (s.members.length !== m) {
    throw new InvalidOptionsError('state', `has ${s.members.length} member states for ${m} member names`);
  }
  const { plain, aware, withLength } = combinerSizes(m);
  const spec = s.combiner?.memberFeatures ?? [];
  if (spec.some((f) => f.member >= m)) {
    throw new InvalidOptionsError('state', `combiner.memberFeatures names a member outside the ${m} members`);
  }
  const extra = featureWeightCount(spec);
  const sizes = extra > 0 ? [aware + extra, withLength + extra] : [plain, aware, withLength];
  if (s.combiner && !sizes.includes(s.combiner.weights.length)) {
    throw new InvalidOptionsError(
      'state',
      `combiner has ${s.combiner.weights.length} weight(s); expected ${plain} (two per member), ${aware} (evidence-aware: ${2 + EVIDENCE_TERMS} per member and one for the amount of evidence) or ${withLength} (also two for the message length)${extra > 0 ? `, plus ${extra} for the member features it lists` : ''}`,
    );
  }
  if (s.novelty) {
    if (s.novelty.setAside.some((j) => j >= m)) {
      throw new InvalidOptionsError('state', `novelty.setAside names a member outside the ${m} members`);
    }
    if (![aware, withLength].includes(s.novelty.transfer.weights.length)) {
      throw new InvalidOptionsError(
        'state',
        `novelty.transfer has ${s.novelty.transfer.weights.length} weight(s); expected ${aware} or ${withLength}`,
      );
    }
  }
  // A prior given at load is checked as the constructor checks one (null or NaN is refused, never ignored).
  if (priorAtLoad !== undefined) checkPrior(priorAtLoad, s.strategy);
  const prior = priorAtLoad ?? s.prior;
  if (prior !== undefined && s.combiner !== null && s.trainingBotShare === undefined) {
    throw new InvalidOptionsError(
      priorAtLoad !== undefined ? 'prior' : 'state',
      'a prior needs the share of bots the ensemble was fitted on, and this state has no trainingBotShare (state saved before the prior option existed does not record it): fit the ensemble again to use a prior',
    );
  }
  if (s.combiners) {
    if (s.combiners.length !== m) {
      throw new InvalidOptionsError(
        'state',
        `has ${s.combiners.length} cascade combiner(s); expected ${m} (one per member)`,
      );
    }
    s.combiners.forEach((c, k) => {
      if (c.weights.length !== 2 * (k + 1)) {
        throw new InvalidOptionsError(
          'state',
          `cascade combiner ${k} has ${c.weights.length} weight(s); expected ${2 * (k + 1)}`,
        );
      }
    });
  }
  return s;
}

/** Options for `Ensemble.fromJSON`. */
export interface EnsembleFromJsonOptions {
  /**
   * Rebuilds one member from its saved state (what the member's `toJSON()` returned, or an
   * `UnserializedMemberState` naming a member that had no `toJSON()`). The rebuilt member must keep its name.
   */
  resolve: (
    memberState: DetectorState,
    info: { index: number; name: string },
  ) => Detector | Promise<Detector>;
  /**
   * Passed on as the new ensemble's `cloneMember` option, for later `fit()` calls.
   * @defaultValue undefined
   */
  cloneMember?: (detector: Detector) => Detector;
  /**
   * The share of bots expected where the restored ensemble is used (`EnsembleOptions.prior`), replacing the
   * saved one: a fitted stacking ensemble can be deployed on a population with another share of bots without a
   * refit. Needs state that recorded its training share (`trainingBotShare`, saved since the option exists).
   * @defaultValue the saved `prior`, if any
   */
  prior?: number;
}

/**
 * The saved state of an ensemble (what `Ensemble.toJSON()` returns): its options, threshold, the strategy's
 * learned parts and each member's own `toJSON()` (members without one are saved as
 * `{ kind: 'unserialized', version: 0, name }`, for the resolver).
 *
 * @param o - the ensemble's resolved options
 * @param threshold - its current threshold
 * @param learned - what its strategy learned (`toState()`)
 * @param members - its members, constructor order
 * @param groupedFolds - whether its combiner learned from folds grouped by `EnsembleFitOptions.groups`
 * @internal
 */
export function ensembleState(
  o: ResolvedEnsembleOptions,
  threshold: number,
  learned: StrategyState,
  members: readonly Detector[],
  groupedFolds = false,
): EnsembleState {
  return {
    kind: 'ensemble',
    version: 1,
    name: o.name,
    strategy: o.strategy,
    threshold,
    weights: Object.fromEntries(o.names.map((n, j) => [n, o.weights[j]!])),
    costs: o.costs ? { ...o.costs } : null,
    margin: o.margin,
    folds: o.folds,
    seed: o.seed,
    l2: o.l2,
    ...(o.strategy === 'stacking' && {
      memberPrefixCuts: [...o.memberPrefixCuts],
      memberPrefixCutShare: o.memberPrefixCutShare,
      memberFeatures: o.memberFeatures,
      ...(o.prior !== null && { prior: o.prior }),
    }),
    ...learned,
    ...(groupedFolds && { groupedFolds: true as const }),
    memberNames: [...o.names],
    members: members.map((m): DetectorState => {
      if (m.toJSON) return m.toJSON();
      const u: UnserializedMemberState = { kind: 'unserialized', version: 0, name: m.name };
      return u;
    }),
  };
}

/**
 * Parses saved ensemble state and rebuilds its members with `options.resolve`, one after another in order,
 * checking each keeps its saved name.
 *
 * @param state - what `Ensemble.toJSON()` returned
 * @param options - the member resolver
 * @returns the parsed state, the members and the options to build the ensemble with
 * @throws InvalidOptionsError when the state is invalid or a rebuilt member's name differs
 * @internal
 */
export async function rebuildMembers(
  state: unknown,
  options: EnsembleFromJsonOptions,
): Promise<{ s: EnsembleState; members: Detector[]; options: EnsembleOptions }> {
  if (typeof options?.resolve !== 'function') {
    throw new InvalidOptionsError(
      'resolve',
      'pass { resolve: (memberState) => Detector } to rebuild the members',
    );
  }
  const s = parseEnsembleState(state, options.prior);
  const prior = options.prior ?? s.prior;
  const members: Detector[] = [];
  for (const [index, ms] of s.members.entries()) {
    const name = s.memberNames[index]!;
    const d = await options.resolve(ms as DetectorState, { index, name });
    if (typeof d !== 'object' || d === null || d.name !== name) {
      throw new InvalidOptionsError(
        'resolve',
        `member ${index} was saved as "${name}" but resolve() returned ${typeof d === 'object' && d !== null ? `"${d.name}"` : String(d)}`,
      );
    }
    members.push(d);
  }
  const weights = Object.fromEntries(Object.entries(s.weights).filter(([k]) => s.memberNames.includes(k)));
  return {
    s,
    members,
    // Saved state records some strategy-bound options (margin, folds...) whatever the strategy: keep those it uses.
    options: optionsFor(
      {
        strategy: s.strategy,
        name: s.name,
        threshold: s.threshold,
        weights,
        // Costs order a cascade only (a state saved before other strategies refused them may hold some).
        ...(s.costs ? { costs: s.costs } : {}),
        margin: s.margin,
        folds: s.folds,
        seed: s.seed,
        l2: s.l2,
        // State saved before the option existed was fitted on whole transcripts: a refit keeps doing so.
        memberPrefixCuts: s.memberPrefixCuts ?? [],
        // State saved before the share existed learned from the cuts of every example.
        memberPrefixCutShare: s.memberPrefixCutShare ?? 1,
        ...(s.memberFeatures !== undefined && { memberFeatures: s.memberFeatures }),
        ...(prior !== undefined && { prior }),
        ...(options.cloneMember ? { cloneMember: options.cloneMember } : {}),
      },
      s.strategy,
    ),
  };
}
