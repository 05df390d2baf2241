/**
 * The stacking ensemble's `combinerBags` option: the combiner learns from the out-of-fold member scores of several
 * seeded passes (fold splits and cut choices). One bag is the unbagged fit exactly; more bags are deterministic for
 * a seed, saved and restored exactly, and refused with a clear error where they cannot apply. Real members
 * (heuristic and hashing embedding) on a small set.
 */
import { describe, expect, it } from 'vitest';
import { createEnsemble } from '../../src/detectors/registry.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import type { EnsembleOptions } from '../../src/ensemble/types.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import {
  resolveStackingMember,
  stackingChats,
  stackingMembers,
  unseenChats,
} from '../helpers/stacking-chats.js';

const TRAIN = stackingChats(36, (i) => i % 5 === 2);
const TEST = unseenChats(stackingChats(12, (i) => i % 5 === 2));
const members = stackingMembers;
const resolve = resolveStackingMember;

async function fitted(options: EnsembleOptions = {}): Promise<Ensemble> {
  const e = new Ensemble(members(), {
    strategy: 'stacking',
    folds: 3,
    memberPrefixCutShare: 0.5,
    ...options,
  });
  await e.fit(TRAIN);
  return e;
}

const scores = async (e: Ensemble): Promise<(number | null)[]> =>
  (await e.detectBatch(TEST)).map((d) => d.score);

describe('Ensemble option combinerBags (stacking)', () => {
  it('with 1 bag fits exactly what the ensemble fits without the option, and saves no combinerBags', async () => {
    const plain = await fitted();
    const one = await fitted({ combinerBags: 1 });
    expect(one.toJSON()).toEqual(plain.toJSON());
    expect(await scores(one)).toEqual(await scores(plain));
    expect('combinerBags' in plain.toJSON()).toBe(false);
  });

  it('with 3 bags learns another combiner, the same one for the same seed, and another for another seed', async () => {
    const one = await fitted();
    const a = await fitted({ combinerBags: 3 });
    const b = await fitted({ combinerBags: 3 });
    const c = await fitted({ combinerBags: 3, seed: 7 });
    expect(a.toJSON().combiner).not.toEqual(one.toJSON().combiner);
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(await scores(b)).toEqual(await scores(a));
    expect(c.toJSON().combiner).not.toEqual(a.toJSON().combiner);
    // The final members are those of one bag: only the combiner (and what it learned beside) differs.
    expect(a.toJSON().members).toEqual(one.toJSON().members);
  });

  it('saves the bags and restores the ensemble exactly; a refit of the restored one bags again', async () => {
    const a = await fitted({ combinerBags: 3 });
    const state = JSON.parse(JSON.stringify(a.toJSON()));
    expect(state.combinerBags).toBe(3);
    expect(state.version).toBe(1);
    const back = await Ensemble.fromJSON(state, { resolve });
    expect(back.toJSON()).toEqual(a.toJSON());
    expect(await scores(back)).toEqual(await scores(a));
    await back.fit(TRAIN);
    expect(back.toJSON()).toEqual(a.toJSON());
  });

  it('loads state saved without the option as one bag', async () => {
    const plain = await fitted();
    const state = JSON.parse(JSON.stringify(plain.toJSON()));
    const back = await Ensemble.fromJSON(state, { resolve });
    await back.fit(TRAIN);
    expect(back.toJSON()).toEqual(plain.toJSON());
  });

  it('refuses bags that are not an integer from 1 to 32, and bags above 1 for other strategies', () => {
    for (const bad of [0, -1, 1.5, 33, Number.NaN, '3', null]) {
      const build = () =>
        new Ensemble(members(), { strategy: 'stacking', combinerBags: bad as unknown as number });
      expect(build).toThrow(InvalidOptionsError);
      expect(build).toThrow(/combinerBags.*integer from 1/);
    }
    expect(() => new Ensemble(members(), { strategy: 'cascade', combinerBags: 3 })).toThrow(
      /combinerBags.*stacking strategy only/,
    );
    expect(() => new Ensemble(members(), { strategy: 'weighted-mean', combinerBags: 1 })).not.toThrow();
  });

  it('refuses saved state with bags out of range', async () => {
    const state = {
      ...JSON.parse(JSON.stringify((await fitted({ combinerBags: 2 })).toJSON())),
      combinerBags: 0,
    };
    await expect(Ensemble.fromJSON(state, { resolve })).rejects.toThrow(/combinerBags/);
  });

  it('takes the bags from an ensemble spec, and refuses bad ones there too', async () => {
    const spec = { strategy: 'stacking' as const, detectors: [{ type: 'heuristic' as const }] };
    const e = await createEnsemble({ ...spec, combinerBags: 2 });
    await e.fit(TRAIN);
    expect(e.toJSON().combinerBags).toBe(2);
    await expect(createEnsemble({ ...spec, combinerBags: 0 })).rejects.toThrow(/combinerBags.*from 1 to 32/);
  });
});
