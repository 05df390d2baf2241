/**
 * The stacking ensemble's `prior` option: every verdict's log-odds move by logit(prior) - logit(training share of
 * bots), in `detect()`, `detectBatch()` and streams alike, with a `prior_shift` note that keeps the explanation
 * additive; the option and the training share are saved and restored. Real members (heuristic and hashing
 * embedding) fitted on a small imbalanced set.
 */
import { describe, expect, it } from 'vitest';
import type { Detector, DetectorState } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { detectorFromState } from '../../src/detectors/registry.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import type { EnsembleOptions } from '../../src/ensemble/types.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { logit } from '../../src/numeric/logistic-regression.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';

const BOT = [
  'Hello ! I like {i} too . What do you do ?',
  'That is great ! Tell me more .',
  'I am a teacher .',
];
const HUMAN = ['lol yeah {i} is fun, you?', 'haha ok', 'idk, maybe later'];

/** `n` chats, a third of them bots; a few of each class write like the other, so scores stay away from 0 and 1. */
function data(n: number): LabelledTranscript[] {
  return Array.from({ length: n }, (_, i) => {
    const label = i % 3 === 0 ? 'bot' : 'human';
    const swapped = i % 7 === 3;
    const lines = (label === 'bot') !== swapped ? BOT : HUMAN;
    return {
      target: 'x',
      label,
      messages: lines.flatMap((t, k) => [
        { speaker: 'u', text: `question ${i}-${k}?` },
        { speaker: 'x', text: t.replace('{i}', String(i)) },
      ]),
    };
  });
}

const TRAIN = data(36);
const SHARE = TRAIN.filter((t) => t.label === 'bot').length / TRAIN.length;
const TEST: Transcript[] = data(10).map(({ label: _label, ...t }) => ({
  ...t,
  messages: t.messages.map((m) => ({ ...m, text: `${m.text} ok` })),
}));

const members = (): Detector[] => [
  new HeuristicDetector(),
  new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() }),
];

async function fitted(options: EnsembleOptions = {}): Promise<Ensemble> {
  const e = new Ensemble(members(), { strategy: 'stacking', folds: 3, ...options });
  await e.fit(TRAIN);
  return e;
}

const resolve = async (s: DetectorState): Promise<Detector> =>
  s.kind === 'embedding'
    ? EmbeddingCentroidDetector.fromJSON(s)
    : HeuristicDetector.fromJSON(s as Parameters<typeof HeuristicDetector.fromJSON>[0]);

describe('Ensemble option prior (stacking)', () => {
  it('moves every log-odds by logit(prior) - logit(training share), says so, and streams the same', async () => {
    const base = await fitted();
    const shifted = await fitted({ prior: 0.5 });
    const shift = logit(0.5) - logit(SHARE);
    expect(shift).toBeGreaterThan(0.5);
    const before = await base.detectBatch(TEST);
    const after = await shifted.detectBatch(TEST);
    let moderate = 0;
    for (let i = 0; i < TEST.length; i++) {
      const b = before[i]!;
      const a = after[i]!;
      if (b.score! > 1e-6 && b.score! < 1 - 1e-6) {
        moderate++;
        expect(logit(a.score!) - logit(b.score!)).toBeCloseTo(shift, 6);
      }
      const note = a.evidence.find((e) => e.name === 'prior_shift');
      expect(note?.contribution).toBeCloseTo(shift, 12);
      expect(note?.sentence).toMatch(/expects 50\.0% bots .* against 33\.3% in its training examples/);
      expect(b.evidence.some((e) => e.name === 'prior_shift')).toBe(false);
      // detect() and the last push of a stream give the same verdict as the batch.
      expect((await shifted.detect(TEST[i]!)).score).toBe(a.score);
      const live = shifted.stream({ target: 'x' });
      let last = null;
      for (const m of TEST[i]!.messages) last = await live.push(m);
      expect(last!.score).toBeCloseTo(a.score!, 12);
    }
    expect(moderate).toBeGreaterThan(3);
    // The prior at the training share moves nothing.
    const same = await fitted({ prior: SHARE });
    expect((await same.detectBatch(TEST)).map((d) => d.score)).toEqual(before.map((d) => d.score));
  });

  it('keeps the explanation additive, with the fallback guard too: shares, intercept and notes sum to the log-odds', async () => {
    const e = await fitted({ prior: 0.7, noveltyGuard: 'fallback' });
    const far: Transcript = {
      target: 'x',
      messages: [{ speaker: 'x', text: 'Zyxw qrst uvwv plmk, jjjj kkkk!' }],
    };
    for (const t of [far, TEST[0]!, TEST[1]!]) {
      const d = await e.detect(t);
      const sum = d.evidence.reduce((acc, x) => acc + (x.contribution ?? 0), 0);
      expect(d.evidence.some((x) => x.name === 'prior_shift')).toBe(true);
      if (d.score! > 1e-6 && d.score! < 1 - 1e-6) expect(sum).toBeCloseTo(logit(d.score!), 6);
    }
  });

  it("quotes, in 'report' mode, the shifted score that 'fallback' gives", async () => {
    const far: Transcript = {
      target: 'x',
      messages: [{ speaker: 'x', text: 'Zyxw qrst uvwv plmk, jjjj kkkk!' }],
    };
    const report = await (await fitted({ prior: 0.8 })).detect(far);
    const note = report.evidence.find((x) => x.name === 'out_of_distribution');
    expect(note?.sentence).toBeDefined();
    const fallback = await (await fitted({ prior: 0.8, noveltyGuard: 'fallback' })).detect(far);
    expect(fallback.score).not.toBeCloseTo(report.score!, 3);
    expect(note!.sentence).toContain(`would give P(bot) = ${fallback.score!.toFixed(3)}`);
  });

  it('is saved with the training share and restored to the same scores; state without the share is refused', async () => {
    const e = await fitted({ prior: 0.2 });
    const state = JSON.parse(JSON.stringify(e.toJSON()));
    expect(state.prior).toBe(0.2);
    expect(state.trainingBotShare).toBeCloseTo(SHARE, 12);
    const back = await Ensemble.fromJSON(state, { resolve });
    const want = (await e.detectBatch(TEST)).map((d) => d.score);
    const got = (await back.detectBatch(TEST)).map((d) => d.score);
    expect(got).toEqual(want);
    // A prior given at load replaces the saved one, with no refit.
    const moved = await Ensemble.fromJSON(state, { resolve, prior: 0.5 });
    expect(moved.toJSON().prior).toBe(0.5);
    expect((await moved.detectBatch(TEST)).map((d) => d.score)).toEqual(
      (await (await fitted({ prior: 0.5 })).detectBatch(TEST)).map((d) => d.score),
    );
    await expect(Ensemble.fromJSON(state, { resolve, prior: 1 })).rejects.toThrow(InvalidOptionsError);
    const { trainingBotShare: _share, ...without } = state;
    await expect(Ensemble.fromJSON(without, { resolve })).rejects.toThrow(/no trainingBotShare/);
    // An ensemble fitted without the option saves no prior, and the share only as what it learned from.
    const plain = (await fitted()).toJSON();
    expect(plain.prior).toBeUndefined();
    expect(plain.trainingBotShare).toBeCloseTo(SHARE, 12);
    // State saved before the share was recorded cannot take a prior at load (nothing to shift from).
    const { trainingBotShare: _s, ...old } = JSON.parse(JSON.stringify(plain));
    await expect(Ensemble.fromJSON(old, { resolve, prior: 0.5 })).rejects.toThrow(/fit the ensemble again/);
    expect((await (await Ensemble.fromJSON(old, { resolve })).detectBatch(TEST)).map((d) => d.score)).toEqual(
      (await Ensemble.fromJSON(plain, { resolve }).then((e) => e.detectBatch(TEST))).map((d) => d.score),
    );
  });

  it('is applied by detectorFromState to the saved ensemble, never to its members, and refused where it cannot apply', async () => {
    const state = JSON.parse(JSON.stringify((await fitted({ prior: 0.2 })).toJSON()));
    const loaded = await detectorFromState(state, { prior: 0.5, threshold: 0.4 });
    const want = await Ensemble.fromJSON({ ...state, threshold: 0.4 }, { resolve, prior: 0.5 });
    expect((loaded as Ensemble).toJSON().prior).toBe(0.5);
    expect((await loaded.detectBatch!(TEST)).map((d) => [d.score, d.label])).toEqual(
      (await want.detectBatch(TEST)).map((d) => [d.score, d.label]),
    );
    await expect(detectorFromState(state.members[0], { prior: 0.5 })).rejects.toThrow(
      /"prior": applies to a fitted stacking ensemble/,
    );
    await expect(detectorFromState(state, { prior: 1 })).rejects.toThrow(InvalidOptionsError);
    // From JavaScript, null is refused as the constructor refuses it, never taken for "the saved prior".
    await expect(detectorFromState(state, { prior: null as unknown as number })).rejects.toThrow(
      /"prior": got null/,
    );
  });

  it('refuses a prior outside (0, 1) and on strategies that learn no prior', () => {
    for (const prior of [0, 1, -0.1, Number.NaN, '0.5' as unknown as number]) {
      expect(() => new Ensemble(members(), { strategy: 'stacking', prior })).toThrow(InvalidOptionsError);
    }
    expect(() => new Ensemble(members(), { strategy: 'weighted-mean', prior: 0.5 })).toThrow(
      /stacking strategy only/,
    );
  });
});
