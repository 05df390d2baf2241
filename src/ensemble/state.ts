import { z } from 'zod';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ENSEMBLE_STRATEGIES, type EnsembleState } from './types.js';

const combinerSchema = z.object({
  weights: z.array(z.number().finite()),
  intercept: z.number().finite(),
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
  memberNames: z.array(z.string().min(1)).min(1),
  members: z.array(z.looseObject({ kind: z.string(), version: z.number() })),
});

/**
 * Checks that a value is ensemble state this version can read, and that its parts agree with each other
 * (one member state per name, combiner sizes matching the member count).
 *
 * @param state - typically parsed JSON
 * @throws InvalidOptionsError naming the first bad field
 *
 * @internal
 */
export function parseEnsembleState(state: unknown): EnsembleState {
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
  if (s.combiner && s.combiner.weights.length !== 2 * m && s.combiner.weights.length !== 3 * m + 1) {
    throw new InvalidOptionsError(
      'state',
      `combiner has ${s.combiner.weights.length} weight(s); expected ${2 * m} (two per member) or ${3 * m + 1} (evidence-aware: three per member and one for the amount of evidence)`,
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
