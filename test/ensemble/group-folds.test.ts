import { describe, expect, it } from 'vitest';
import { nowMs, scored } from '../../src/core/detection.js';
import type { Detection, Detector } from '../../src/core/detector.js';
import type { Label, LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { groupFolds } from '../../src/ensemble/folds.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';

/** The target's first message, `"<word> <n><cue>"`. */
const textOf = (t: Transcript): string => t.messages.find((m) => m.speaker === 'u')!.text;

/**
 * One example of group `g`: bots open with the group's own bot word (`g1`), humans with its human word (`g0`);
 * 8 of 10 bots and 2 of 10 humans end with "!" (the cue that holds in every group).
 */
function example(g: string, i: number, label: Label): LabelledTranscript {
  const bot = label === 'bot';
  const cue = bot === (i % 5 !== 0) ? '!' : '.';
  return {
    target: 'u',
    label,
    messages: [
      { speaker: 'a', text: 'hello?' },
      { speaker: 'u', text: `${g}${bot ? 1 : 0} ${i}${cue}` },
    ],
  };
}
const group = (g: string): LabelledTranscript[] =>
  Array.from({ length: 20 }, (_, i) => example(g, i, i % 2 === 0 ? 'bot' : 'human'));

/**
 * Learns which opening word goes with which label (0.99 / 0.01 for a word seen in fitting, 0.5 for an unseen
 * one): perfect on new examples of a fitted group, blind on a new group. What a vocabulary member is on a new
 * bot population.
 */
class Vocabulary implements Detector {
  readonly name = 'vocabulary';
  words = new Map<string, Label>();
  fitted: string[][] = [];
  async fit(examples: LabelledTranscript[]): Promise<void> {
    this.words = new Map(examples.map((e) => [textOf(e).split(' ')[0]!, e.label]));
    this.fitted.push([...new Set(examples.map((e) => textOf(e).slice(0, 1)))].sort());
  }
  async detect(t: Transcript): Promise<Detection> {
    const l = this.words.get(textOf(t).split(' ')[0]!);
    return scored(this.name, l === undefined ? 0.5 : l === 'bot' ? 0.99 : 0.01, 0.5, [], nowMs());
  }
}

/** Reads the cue alone: 0.7 when the message ends with "!", else 0.3 (right 8 times in 10 in every group). */
class Cue implements Detector {
  readonly name = 'cue';
  async detect(t: Transcript): Promise<Detection> {
    return scored(this.name, textOf(t).endsWith('!') ? 0.7 : 0.3, 0.5, [], nowMs());
  }
}

describe('groupFolds', () => {
  it('leaves one group out per fold when there are at most `folds` groups', () => {
    const groups = ['a', 'b', 'a', 'c', 'b', 'c'];
    const labels: Label[] = ['bot', 'human', 'human', 'bot', 'bot', 'human'];
    const { foldOf, folds } = groupFolds(groups, labels, 5);
    expect(folds).toBe(3);
    for (const g of ['a', 'b', 'c']) {
      const fs = new Set(foldOf.filter((_, i) => groups[i] === g));
      expect(fs.size).toBe(1);
    }
    expect(new Set(foldOf).size).toBe(3);
  });

  it('deals more groups than folds into `folds` folds, largest first, keeping each whole', () => {
    const sizes = { a: 5, b: 4, c: 3, d: 2, e: 2 } as const;
    const groups = Object.entries(sizes).flatMap(([g, n]) => Array<string>(n).fill(g));
    const labels = groups.map((_, i): Label => (i % 2 === 0 ? 'bot' : 'human'));
    const { foldOf, folds } = groupFolds(groups, labels, 2);
    expect(folds).toBe(2);
    const foldOfGroup = (g: string) => foldOf[groups.indexOf(g)];
    for (const g of Object.keys(sizes)) {
      expect(new Set(foldOf.filter((_, i) => groups[i] === g)).size).toBe(1);
    }
    // a (5) -> 0, b (4) -> 1, c (3) -> 1 (4 < 5), d (2) -> 0 (5 < 7), e (2) -> 0 (7 = 7: the lower fold).
    expect(['a', 'b', 'c', 'd', 'e'].map(foldOfGroup)).toEqual([0, 1, 1, 0, 0]);
    // The order of the examples does not change which group goes where.
    const rev = groupFolds([...groups].reverse(), [...labels].reverse(), 2);
    expect(rev.foldOf).toEqual([...foldOf].reverse());
  });

  it('refuses groups it cannot split, saying what to do', () => {
    const labels: Label[] = ['bot', 'human', 'bot', 'human'];
    expect(() => groupFolds(['a', 'a', 'a', 'a'], labels, 5)).toThrow(/at least two groups/);
    expect(() => groupFolds(['a', 'b'], labels, 5)).toThrow(/one group per example: got 2 for 4/);
    expect(() => groupFolds(['a', 'b', '', 'a'], labels, 5)).toThrow(/groups\[2\]/);
    // A sparse array: the hole at 3 is refused here, not passed on to fail later in the combiner.
    const sparse: string[] = ['a', 'b', 'a'];
    sparse.length = 4;
    expect(() => groupFolds(sparse, labels, 5)).toThrow(InvalidOptionsError);
    expect(() => groupFolds(sparse, labels, 5)).toThrow(/groups\[3\] is undefined; use a non-empty string/);
    // A bigint (from untyped data) is refused like any other non-string, not a TypeError from JSON.stringify.
    const big = ['a', 'b', 1n, 'a'] as unknown as string[];
    expect(() => groupFolds(big, labels, 5)).toThrow(/groups\[2\] is 1n; use a non-empty string/);
    // Leaving out group "a" (all the bots) leaves only humans to fit on.
    expect(() => groupFolds(['a', 'b', 'a', 'b'], labels, 5)).toThrow(
      /leaving out group "a" leaves only human examples/,
    );
    expect(() => groupFolds(['a', 'b', 'a', 'b'], ['bot', 'bot', 'human', 'human'], 1)).toThrow(
      InvalidOptionsError,
    );
  });
});

describe('Ensemble.fit with groups', () => {
  const train = [...group('a'), ...group('b')];
  const groups = train.map((e) => textOf(e).slice(0, 1));
  const unseen = group('c');

  /** Mean P(bot) of the unseen group's bots minus that of its humans, and its accuracy at 0.5. */
  async function onUnseen(e: Ensemble): Promise<{ gap: number; accuracy: number }> {
    const rs = await e.detectBatch(unseen);
    const mean = (l: Label) => {
      const s = rs.filter((_, i) => unseen[i]!.label === l).map((r) => r.score!);
      return s.reduce((a, b) => a + b, 0) / s.length;
    };
    const right = rs.filter((r, i) => r.label === unseen[i]!.label).length;
    return { gap: mean('bot') - mean('human'), accuracy: right / rs.length };
  }

  it('refuses a sparse groups array before fitting anything', async () => {
    const vocab = new Vocabulary();
    const e = new Ensemble([vocab, new Cue()], { strategy: 'stacking', memberPrefixCuts: [] });
    const sparse = [...groups];
    delete sparse[3];
    await expect(e.fit(train, { groups: sparse })).rejects.toThrow(/groups\[3\] is undefined/);
    expect(vocab.fitted).toEqual([]);
  });

  it('scores each group out of fold with members fitted on the other groups only', async () => {
    const vocab = new Vocabulary();
    const e = new Ensemble([vocab, new Cue()], { strategy: 'stacking', memberPrefixCuts: [] });
    await e.fit(train, { groups });
    // Two out-of-fold fits, each on the other group alone, then the final fit on both.
    expect(vocab.fitted).toEqual([['b'], ['a'], ['a', 'b']]);
  });

  it('teaches the combiner to trust the member that holds up on a new group', async () => {
    const stratified = new Ensemble([new Vocabulary(), new Cue()], {
      strategy: 'stacking',
      memberPrefixCuts: [],
    });
    await stratified.fit(train);
    const byGroup = new Ensemble([new Vocabulary(), new Cue()], {
      strategy: 'stacking',
      memberPrefixCuts: [],
    });
    await byGroup.fit(train, { groups });
    const s = await onUnseen(stratified);
    const g = await onUnseen(byGroup);
    // Out of stratified folds the vocabulary looks perfect and the cue gets little weight: on the new group the
    // vocabulary is blind and the verdicts barely move from the prior. Out of by-group folds the vocabulary is
    // blind there too, so the combiner leans on the cue.
    expect(g.gap).toBeGreaterThan(s.gap + 0.1);
    expect(g.accuracy).toBeGreaterThanOrEqual(0.8);
    // In the fitted groups both still separate the classes.
    const inDomain = await byGroup.detectBatch(train);
    const right = inDomain.filter((r, i) => r.label === train[i]!.label).length;
    expect(right / train.length).toBeGreaterThanOrEqual(0.8);
  });

  it('records in its state that the combiner learned from grouped folds, and old state without it loads', async () => {
    const make = () => new Ensemble([new Vocabulary(), new Cue()], { strategy: 'cascade' });
    const resolve = (_: unknown, info: { name: string }) =>
      info.name === 'cue' ? new Cue() : new Vocabulary();
    const e = make();
    await e.fit(train, { groups });
    const state = e.toJSON();
    expect(state.groupedFolds).toBe(true);
    // It survives a save and load, and a refit without groups clears it.
    const loaded = await Ensemble.fromJSON(JSON.parse(JSON.stringify(state)), { resolve });
    expect(loaded.toJSON().groupedFolds).toBe(true);
    await loaded.fit(train);
    expect('groupedFolds' in loaded.toJSON()).toBe(false);
    const plain = make();
    await plain.fit(train);
    expect('groupedFolds' in plain.toJSON()).toBe(false);
    // State saved before the field existed has none: it loads, and says nothing about its folds.
    const { groupedFolds: _, ...old } = state;
    const fromOld = await Ensemble.fromJSON(old, { resolve });
    expect(fromOld.isFitted).toBe(true);
    expect('groupedFolds' in fromOld.toJSON()).toBe(false);
    await expect(Ensemble.fromJSON({ ...state, groupedFolds: false }, { resolve })).rejects.toThrow(
      /groupedFolds/,
    );
  });

  it('refuses groups where no combiner is learned, or that do not match the examples', async () => {
    const mean = new Ensemble([new Cue()], { strategy: 'weighted-mean' });
    await expect(mean.fit(train, { groups })).rejects.toThrow(/weighted-mean learns no combiner/);
    const e = new Ensemble([new Vocabulary(), new Cue()], { strategy: 'stacking' });
    await expect(e.fit(train, { groups: groups.slice(1) })).rejects.toSatisfy(
      (err: unknown) => InvalidOptionsError.isInstance(err) && /one group per example/.test(err.message),
    );
    await expect(e.fit(train, { groups: groups.map(() => 'x') })).rejects.toThrow(/at least two groups/);
    expect(e.isFitted).toBe(false);
  });
});
