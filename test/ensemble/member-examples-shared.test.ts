/**
 * An ensemble's fit cuts and validates its members' training examples once (`MemberExamples`) and hands every
 * member fit (each out-of-fold fold's and the final one) selections of the same objects with the same valid
 * copies, so members measure each transcript once per ensemble fit (heuristic signals, the embedding
 * detector's text and conversation key). Sharing must change nothing: the training sets are those
 * `withPrefixCuts` builds, and a stacking ensemble whose members get fresh copies in every fit (nothing to
 * share) is fitted to the same state.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DetectOptions, Detector } from '../../src/core/detector.js';
import { beginFit } from '../../src/core/detector-kit.js';
import { isFoldFit, isPrefixCut, markFoldFit, markPrefixCut } from '../../src/core/training-marks.js';
import type { LabelledTranscript } from '../../src/core/transcript.js';
import { validateLabelled } from '../../src/core/validate-examples.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { copiesOf, MemberExamples, withPrefixCuts } from '../../src/ensemble/member-examples.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';
import { CONVAI_DIR, describeWithShared } from '../helpers/shared.js';
import { chat } from '../helpers/transcripts.js';

const examples: LabelledTranscript[] = Array.from({ length: 8 }, (_, i) => ({
  ...chat('x', ['u: hi', `x: hello ${i}`, 'u: how are you?', `x: fine ${i} thanks`, 'u: ok', `x: bye ${i}`]),
  label: i % 2 === 0 ? 'bot' : 'human',
}));
const from = Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 0]);

describe('MemberExamples', () => {
  it('gives the training sets withPrefixCuts builds, sharing its cuts and valid copies between them', () => {
    const valids = validateLabelled(examples, 'examples');
    const shared = new MemberExamples(examples, [1, 2], from, copiesOf(examples, valids));
    expect(shared.select()).toEqual(withPrefixCuts(examples, [1, 2], from));
    const inFold = (i: number) => i % 3 !== 0;
    const fold = shared.select(inFold);
    expect(fold).toEqual(
      withPrefixCuts(
        examples.filter((_, i) => inFold(i)),
        [1, 2],
        Array.from(from).filter((_, i) => inFold(i)),
      ),
    );
    const all = shared.select();
    // The same cut objects in every selection, marked as cuts once.
    const cuts = fold.filter((e) => isPrefixCut(e));
    expect(cuts.length).toBeGreaterThan(0);
    for (const c of cuts) expect(all).toContain(c);
    // A member's fit takes the examples' given valid copies, and one valid copy per cut in every fit.
    const a = beginFit('m', fold, {});
    const b = beginFit('m', all, {});
    fold.forEach((e, i) => {
      const j = all.indexOf(e);
      expect(a[i]).toBe(b[j]);
      const k = examples.indexOf(e);
      if (k >= 0) expect(a[i]).toBe(valids[k]);
    });
    // An unmarked array is validated afresh.
    expect(beginFit('m', [...fold], {})[0]).not.toBe(a[0]);
  });
});

/**
 * The member, except that each `fit()` gets fresh copies of its examples (marks carried over), so nothing is
 * shared between its fits.
 */
function freshCopies<D extends Detector>(d: D): D {
  return new Proxy(d, {
    get(target, key) {
      if (key === 'fit') {
        return (ex: LabelledTranscript[], opts?: DetectOptions) => {
          const copy = ex.map((e) => {
            const c = structuredClone(e);
            return isPrefixCut(e) ? markPrefixCut(c) : c;
          });
          return target.fit!(isFoldFit(ex) ? markFoldFit(copy) : copy, opts);
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describeWithShared('stacking fit with shared member examples', () => {
  it('fits the same state as members given fresh copies in every fit', async () => {
    const all = await readTranscriptsJsonl(join(CONVAI_DIR, 'train.jsonl'));
    // Plain copies, so no valid copy is known beforehand (as for examples a caller builds).
    const train = all.slice(0, 300).map((e) => structuredClone(e));
    const held = all.slice(300, 360);
    const embedder = new HashingEmbedder({ dim: 4096 });
    const members = () => [new HeuristicDetector(), new EmbeddingCentroidDetector({ embedder })];
    const shared = new Ensemble(members(), { strategy: 'stacking' });
    await shared.fit(train);
    const fresh = new Ensemble(members().map(freshCopies), { strategy: 'stacking' });
    await fresh.fit(train);
    expect(shared.toJSON()).toEqual(fresh.toJSON());
    const a = await shared.detectBatch(held);
    const b = await fresh.detectBatch(held);
    expect(a.map((d) => d.score)).toEqual(b.map((d) => d.score));
  }, 120_000);
});
