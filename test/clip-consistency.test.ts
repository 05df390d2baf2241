import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { ClipConsistencyDetector } from '../src/detectors/clip/clip-consistency-detector.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { ImageLoadError } from '../src/errors/image-load-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { sigmoid } from '../src/numeric/logistic-regression.js';
import { runDetectorConformance } from '../src/testing/conformance.js';
import { expectCalibratedState, fitAndSave } from './helpers/saved-state.js';
import { describeWithShared, HAS_SHARED, HF_TINY, readGolden } from './helpers/shared.js';

interface ClipGolden {
  texts: string[];
  images: string[];
  'cosine[image][text]': number[][];
}

function withProfile(bio: string | undefined, avatar: string | Uint8Array | undefined): Transcript {
  return {
    messages: [{ speaker: 'sam', text: 'hi there!' }],
    profile: { ...(bio !== undefined && { bio }), ...(avatar !== undefined && { avatar }) },
  };
}

describe('ClipConsistencyDetector options (no model needed)', () => {
  it('maps inconsistency to P(bot) around maxInconsistency', () => {
    const d = new ClipConsistencyDetector();
    expect(d.scoreOf(0.4)).toBeCloseTo(0.5, 12);
    expect(d.scoreOf(0.9)).toBeGreaterThan(0.99);
    expect(d.scoreOf(0.0)).toBeLessThan(0.02);
    const e = new ClipConsistencyDetector({ maxInconsistency: 0.7, steepness: 4 });
    expect(e.scoreOf(0.8)).toBeCloseTo(sigmoid(0.4), 12);
  });

  it('rejects bad options and foreign state', () => {
    expect(() => new ClipConsistencyDetector({ maxInconsistency: -1 })).toThrow(InvalidOptionsError);
    expect(() => new ClipConsistencyDetector({ steepness: 0 })).toThrow(InvalidOptionsError);
    expect(() => ClipConsistencyDetector.fromJSON({ kind: 'nli', version: 1 })).toThrow(InvalidOptionsError);
  });
});

describeWithShared('ClipConsistencyDetector on tiny-clip', () => {
  const model = join(HF_TINY, 'tiny-clip');
  const g = readGolden<ClipGolden>('tiny-clip');
  const paths = HAS_SHARED ? g.images.map((f) => join(HF_TINY, f)) : [];
  const made: ClipConsistencyDetector[] = [];
  const make = (o: ConstructorParameters<typeof ClipConsistencyDetector>[0] = {}) => {
    const d = new ClipConsistencyDetector({ model, ...o });
    made.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of made) await d.dispose();
  });

  it('measures 1 - cosine(bio, avatar) as in the goldens, for every pair, in detect and detectBatch', async () => {
    const det = make();
    const ts: Transcript[] = [];
    const want: number[] = [];
    paths.forEach((p, i) => {
      g.texts.forEach((text, j) => {
        ts.push(withProfile(text, p));
        want.push(1 - g['cosine[image][text]'][i]![j]!);
      });
    });
    for (let k = 0; k < ts.length; k++) {
      expect(Math.abs((await det.inconsistency(ts[k]!))! - want[k]!)).toBeLessThan(1e-4);
    }
    const batch = await det.detectBatch(ts);
    batch.forEach((d, k) => {
      const x = d.evidence.find((e) => e.name === 'clip_inconsistency')!.value as number;
      expect(Math.abs(x - want[k]!)).toBeLessThan(1e-4);
      expect(d.score).toBeCloseTo(sigmoid(10 * (x - 0.4)), 9);
      // tiny-clip's cosines are all negative, so every profile is flagged at the default 0.4
      expect(d.label).toBe('bot');
    });
    const lenient = make({ maxInconsistency: 1.5 });
    const d = await lenient.detect(ts[0]!);
    expect(d.label).toBe('human');
  });

  it('abstains without bio or avatar, and for a web avatar when offline', async () => {
    const det = make({ offline: true });
    for (const t of [
      { messages: [{ speaker: 'sam', text: 'hi' }] },
      withProfile(undefined, paths[0]),
      withProfile('dog lover', undefined),
      withProfile('   ', paths[0]),
      withProfile('dog lover', 'https://example.invalid/a.png'),
    ]) {
      const d = await det.detect(t);
      expect(d.score).toBeNull();
      expect(d.label).toBeNull();
      expect(d.evidence[0]!.sentence.length).toBeGreaterThan(10);
    }
  });

  it('reports an unreadable avatar as ImageLoadError and honours abort', async () => {
    const det = make();
    await expect(det.detect(withProfile('dog lover', '/no/such/avatar.png'))).rejects.toSatisfy((e) =>
      ImageLoadError.isInstance(e),
    );
    const ac = new AbortController();
    ac.abort();
    await expect(det.detect(withProfile('dog lover', paths[0]), { signal: ac.signal })).rejects.toSatisfy(
      (e) => AbortedError.isInstance(e),
    );
  });

  it('fit learns a mapping that toJSON/fromJSON restores', async () => {
    const examples: LabelledTranscript[] = [
      { ...withProfile(g.texts[0]!, paths[0]), label: 'bot' },
      { ...withProfile(g.texts[2]!, paths[1]), label: 'human' },
      { ...withProfile(g.texts[1]!, paths[0]), label: 'bot' },
      { ...withProfile(g.texts[2]!, paths[0]), label: 'human' },
    ];
    const det = make();
    const state = await fitAndSave(det, examples);
    expectCalibratedState(state, 'clip', { maxInconsistency: 0.4 });
    const back = ClipConsistencyDetector.fromJSON(state);
    made.push(back);
    for (const ex of examples) {
      expect((await back.detect(ex)).score).toBeCloseTo((await det.detect(ex)).score!, 9);
    }
    // the fitted mapping differs from the default one
    const x = (await det.inconsistency(examples[0]!))!;
    expect(det.scoreOf(x)).not.toBeCloseTo(sigmoid(10 * (x - 0.4)), 3);
  });

  it('passes the detector conformance suite', async () => {
    const report = await runDetectorConformance({
      create: () => make(),
      transcript: withProfile(g.texts[0]!, paths[1]),
      abstainTranscript: withProfile(undefined, paths[1]),
      fromJSON: (s) => {
        const d = ClipConsistencyDetector.fromJSON(s);
        made.push(d);
        return d;
      },
      tolerance: 1e-6,
    });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
