/**
 * By-group folds do not leak: while `Ensemble.fit(examples, { groups })` learns its combiner, no member scores a
 * row (a whole transcript or one of its prefix cuts) of a group it was fitted on. The members here record the
 * groups of every fit and check each row they score against the latest one: the contract every member relies
 * on, observed through a real ensemble.
 */
import { describe, expect, it } from 'vitest';
import { nowMs, scored } from '../../src/core/detection.js';
import type { Detection, Detector } from '../../src/core/detector.js';
import type { Label, LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import type { EnsembleStrategy } from '../../src/ensemble/types.js';

/** The group of a transcript: the first word of the target's first message (kept by every prefix cut). */
const groupOf = (t: Transcript): string => t.messages.find((m) => m.speaker === 'u')!.text.split(' ')[0]!;

/** Example `i` of group `g`: five target messages, bots ending most of theirs with "!". */
function example(g: string, i: number): LabelledTranscript {
  const label: Label = i % 2 === 0 ? 'bot' : 'human';
  const end = (label === 'bot') === (i % 5 !== 0) ? '!' : '.';
  return {
    target: 'u',
    label,
    messages: Array.from({ length: 5 }, (_, k) => [
      { speaker: 'a', text: `question ${k}?` },
      { speaker: 'u', text: `${g} says ${i}-${k}${end}` },
    ]).flat(),
  };
}

const GROUPS = ['a', 'b', 'c', 'd', 'e', 'f'];
const train = GROUPS.flatMap((g) => Array.from({ length: 8 }, (_, i) => example(g, i)));
const groups = train.map(groupOf);

/** Records the groups of its latest fit, and every row it scores from one of them (a leak). */
class GroupWatch implements Detector {
  fittedOn = new Set<string>();
  fits: string[][] = [];
  /** Rows scored, and how many of them were prefix cuts (fewer than the ten messages of a whole example). */
  seen = { rows: 0, cuts: 0 };
  leaks: string[] = [];
  constructor(readonly name: string) {}
  async fit(examples: LabelledTranscript[]): Promise<void> {
    this.fittedOn = new Set(examples.map(groupOf));
    this.fits.push([...this.fittedOn].sort());
  }
  protected score(t: Transcript): Detection {
    const g = groupOf(t);
    this.seen.rows++;
    if (t.messages.length < 10) this.seen.cuts++;
    if (this.fittedOn.has(g)) this.leaks.push(`${g} (${t.messages.length} messages)`);
    const last = t.messages.at(-1)!.text;
    return scored(this.name, last.endsWith('!') ? 0.7 : 0.3, 0.5, [], nowMs());
  }
  async detect(t: Transcript): Promise<Detection> {
    return this.score(t);
  }
}

/** The same, scoring each held-out example and its cuts in one call, as the embedding detector does. */
class PrefixGroupWatch extends GroupWatch {
  prefixCalls = 0;
  async detectPrefixes(rows: readonly (readonly Transcript[])[]): Promise<Detection[][]> {
    this.prefixCalls++;
    return rows.map((cuts) => cuts.map((t) => this.score(t)));
  }
}

describe('Ensemble.fit with groups', () => {
  for (const strategy of ['stacking', 'cascade'] as const satisfies readonly EnsembleStrategy[]) {
    it(`${strategy}: no member scores a row, whole or cut, of a group it was fitted on`, async () => {
      const plain = new GroupWatch('plain');
      const prefix = new PrefixGroupWatch('prefix');
      const e = new Ensemble([plain, prefix], {
        strategy,
        folds: 4,
        ...(strategy === 'stacking' && { memberPrefixCuts: [1, 2], memberPrefixCutShare: 1 }),
      });
      await e.fit(train, { groups });
      for (const m of [plain, prefix]) {
        expect(m.leaks).toEqual([]);
        // Four out-of-fold fits on the groups dealt into four folds (each fit leaves one or two groups out),
        // then the final fit on every group.
        expect(m.fits).toHaveLength(5);
        expect(m.fits.at(-1)).toEqual(GROUPS);
        for (const f of m.fits.slice(0, -1)) expect(f.length).toBeGreaterThanOrEqual(4);
        expect(m.seen.rows).toBeGreaterThanOrEqual(train.length);
        // Stacking also scores the combiner's cuts of each held-out example; a cascade whole transcripts only.
        if (strategy === 'stacking') expect(m.seen.cuts).toBeGreaterThan(0);
      }
      expect(prefix.prefixCalls).toBeGreaterThan(0);
      expect(e.isFitted).toBe(true);
    });
  }

  it('the watch catches a leak: stratified folds mix the groups', async () => {
    const plain = new GroupWatch('plain');
    const e = new Ensemble([plain, new GroupWatch('other')], { strategy: 'stacking', folds: 4 });
    await e.fit(train);
    expect(plain.leaks.length).toBeGreaterThan(0);
  });
});
