/**
 * Bagged whole ensembles (an issue 11 experiment, measured and not kept): one bag is the plain ensemble bit for
 * bit; K bags average their P(bot), and fit -> toJSON -> JSON -> fromJSON gives identical scores. Real members
 * (heuristic and hashing embedding) fitted on a small set.
 */
import { describe, expect, it } from 'vitest';
import { BaggedEnsemble, bagSeed } from '../../src/ensemble/bagged-ensemble.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import * as chats from '../helpers/stacking-chats.js';

const swapped = (i: number) => i % 7 === 3;
const TRAIN = chats.stackingChats(36, swapped);
const TEST = chats.unseenChats(chats.stackingChats(10, swapped));
const make = (seed: number) =>
  new Ensemble(chats.stackingMembers(), {
    strategy: 'stacking',
    folds: 3,
    seed,
  });
const resolve = chats.resolveStackingMember;

/** The value as JSON without its wall times (`elapsedMs`), which differ between any two runs. */
const timeless = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'elapsedMs' ? undefined : x)));

describe('BaggedEnsemble', () => {
  it('with one bag gives the plain ensemble its detections, bit for bit', async () => {
    const plain = make(42);
    await plain.fit(TRAIN);
    const bagged = await BaggedEnsemble.create(make, { bags: 1 });
    await bagged.fit(TRAIN);
    expect(timeless(await bagged.detectBatch(TEST))).toEqual(timeless(await plain.detectBatch(TEST)));
    expect((await bagged.detect(TEST[0]!)).score).toBe((await plain.detect(TEST[0]!)).score);
  });

  it('averages the P(bot) of K ensembles fitted under their bag seeds, and reloads to identical scores', async () => {
    const bagged = await BaggedEnsemble.create(make, { bags: 3 });
    await bagged.fit(TRAIN);
    const singles = await Promise.all(
      [0, 1, 2].map(async (k) => {
        const e = make(bagSeed(42, k));
        await e.fit(TRAIN);
        return (await e.detectBatch(TEST)).map((d) => d.score!);
      }),
    );
    const got = await bagged.detectBatch(TEST);
    got.forEach((d, i) => {
      expect(d.score).toBeCloseTo((singles[0]![i]! + singles[1]![i]! + singles[2]![i]!) / 3, 12);
      expect(d.label).toBe(d.score! >= 0.5 ? 'bot' : 'human');
    });
    // The bags differ (else bagging would be a no-op).
    expect(singles[1]).not.toEqual(singles[0]);
    const state = JSON.parse(JSON.stringify(bagged.toJSON())) as unknown;
    const back = await BaggedEnsemble.fromJSON(state, { resolve });
    expect((await back.detectBatch(TEST)).map((d) => d.score)).toEqual(got.map((d) => d.score));
    expect(back.bags).toHaveLength(3);
  });

  it('refuses a bag count that is not a positive integer, and state that is not its own', async () => {
    await expect(BaggedEnsemble.create(make, { bags: 0 })).rejects.toThrow(InvalidOptionsError);
    await expect(BaggedEnsemble.create(make, { bags: 2.5 })).rejects.toThrow(/bags/);
    await expect(BaggedEnsemble.fromJSON({ kind: 'ensemble' }, { resolve })).rejects.toThrow(
      /bagged-ensemble state/,
    );
  });
});
