/**
 * Plain JavaScript callers get no compile-time check of option keys: every public constructor refuses a key its
 * options do not have (a misspelt option used to be ignored, giving the default without a word).
 */
import { describe, expect, it } from 'vitest';
import { ExactSearch } from '../../src/ann/exact-search.js';
import {
  EmbeddingCentroidDetector,
  HashingEmbedder,
  NliZeroShotDetector,
  TransformersEmbedder,
} from '../../src/detectors/index.js';
import {
  Ensemble,
  HeuristicDetector,
  InvalidOptionsError,
  PartnerContrastDetector,
} from '../../src/index.js';

/** Calls `make` and returns the InvalidOptionsError it throws (fails the test when it throws none). */
function refusal(make: () => unknown): InvalidOptionsError {
  try {
    make();
  } catch (e) {
    if (InvalidOptionsError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected an InvalidOptionsError');
}

const loose = (o: Record<string, unknown>) => o as never;

describe('constructors refuse unknown option keys', () => {
  it.each([
    [
      'new Ensemble()',
      () => new Ensemble([new HeuristicDetector()], loose({ stratgy: 'stacking' })),
      'stratgy',
      'strategy',
    ],
    [
      'new EmbeddingCentroidDetector()',
      () => new EmbeddingCentroidDetector(loose({ embeder: new HashingEmbedder() })),
      'embeder',
      'embedder',
    ],
    [
      'new NliZeroShotDetector()',
      () => new NliZeroShotDetector(loose({ modelDirr: '/x' })),
      'modelDirr',
      'modelDir',
    ],
    ['new HeuristicDetector()', () => new HeuristicDetector(loose({ l2s: 10 })), 'l2s', 'l2'],
    [
      'new PartnerContrastDetector()',
      () => new PartnerContrastDetector(loose({ Threshold: 0.5 })),
      'Threshold',
      'threshold',
    ],
    [
      'new TransformersEmbedder()',
      () => new TransformersEmbedder(loose({ pooling: 'mean', polling: 'cls' })),
      'polling',
      'pooling',
    ],
    ['new HashingEmbedder()', () => new HashingEmbedder(loose({ dims: 64 })), 'dims', 'dim'],
    ['new ExactSearch()', () => new ExactSearch(loose({ dim: 4, centre: [0, 0, 0, 0] })), 'centre', 'center'],
  ])('%s names the unknown key and the one meant', (what, make, key, meant) => {
    const e = refusal(make);
    expect(e.option).toBe(key);
    expect(e.message).toContain(`not a key of the options of ${what}; did you mean "${meant}"?`);
    expect(e.message).toMatch(/Its keys are .*: remove or rename it\.$/);
  });

  it('names every unknown key, and suggests nothing when no key is close', () => {
    const e = refusal(() => new HeuristicDetector(loose({ colour: 'red', size: 3 })));
    expect(e.option).toBe('colour');
    expect(e.message).toBe(
      'Invalid option "colour": not a key of the options of new HeuristicDetector() (nor are "size"). Its keys are name, threshold, weights, l2, limits, evidenceShrinkage, minHumanDelayMs, maxHumanCharsPerSecond, repeatWindow: remove or rename it.',
    );
  });

  it('still takes every documented key, the base-class (model and batch) keys included', () => {
    expect(new HeuristicDetector({ l2: 10, repeatWindow: 3 }).name).toBe('heuristic');
    expect(new Ensemble([new HeuristicDetector()], { strategy: 'cascade', margin: 0.2 }).strategy).toBe(
      'cascade',
    );
    expect(new NliZeroShotDetector({ modelDir: '/x', dtype: 'q8', batchSize: 4, contextTurns: 1 }).name).toBe(
      'nli',
    );
  });
});
