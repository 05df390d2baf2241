import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectionFeatures } from '../../src/core/detection-features.js';
import type { Detector, DetectorState } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { validateLabelled } from '../../src/core/validate-examples.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { STYLE_FEATURE_NAMES } from '../../src/detectors/heuristic/style-feature-types.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { outOfFoldScores } from '../../src/ensemble/out-of-fold.js';
import { cutAfterTargetMessage } from '../../src/ensemble/prefix-cut.js';
import type { EnsembleResult } from '../../src/ensemble/types.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';

const here = dirname(fileURLToPath(import.meta.url));
const chats = await readTranscriptsJsonl(join(here, 'fixtures/chats.jsonl'));
const unlabel = ({ label: _l, ...t }: LabelledTranscript): Transcript => t;
const logit = (p: number) => Math.log(p / (1 - p));
const K = STYLE_FEATURE_NAMES.length;
const resolve = (s: DetectorState): Detector =>
  s.kind === 'embedding'
    ? EmbeddingCentroidDetector.fromJSON(s)
    : HeuristicDetector.fromJSON(s as Parameters<typeof HeuristicDetector.fromJSON>[0]);
const both = () => [
  new HeuristicDetector(),
  new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 512 }) }),
];

describe("the heuristic detector's per-signal terms, offered to a learned combiner", () => {
  it('are the terms of its log-odds, named by signal, and invisible in the detection itself', async () => {
    const h = new HeuristicDetector();
    await h.fit(chats);
    const d = await h.detect(unlabel(chats[3]!));
    const f = detectionFeatures(d)!;
    expect(f.names).toEqual(STYLE_FEATURE_NAMES);
    let z = h.weights.intercept;
    for (let k = 0; k < K; k++) z += f.values[k]!;
    expect(z).toBeCloseTo(logit(d.score!), 9);
    expect(Object.keys(d)).not.toContain('features');
    expect(JSON.stringify(d)).not.toContain('"features"');
    expect(detectionFeatures({ ...d })).toBeUndefined();
    // The same names array every time, so the combiner matches them by identity.
    expect(detectionFeatures(await h.detect(unlabel(chats[4]!)))!.names).toBe(f.names);
  });

  it('reach the out-of-fold rows of whole chats and of their prefix cuts', async () => {
    // A heuristic without fit() scores every row once, so each row's terms equal detect() on that row.
    const h = Object.assign(new HeuristicDetector(), { fit: undefined });
    const examples = chats.slice(0, 12);
    const valids = validateLabelled(examples, 'examples');
    const out = await outOfFoldScores([h], examples, valids, {
      folds: 3,
      seed: 1,
      what: 'test',
      prefixCuts: [1, 2],
      features: true,
    });
    expect(out.rows).toHaveLength(12 * 3);
    const cut = cutAfterTargetMessage(unlabel(examples[5]!), 1)!;
    const direct = detectionFeatures(await new HeuristicDetector().detect(cut))!;
    const row = out.rows[12 + 5]!;
    expect(row.whole).toBe(false);
    expect(Array.from(row.features![0]!.values)).toEqual(Array.from(direct.values));
    expect(out.rows.every((r) => r.features![0]!.names.length === K)).toBe(true);
    // A strategy that does not learn on them (cascade, stacking with memberFeatures: false) gets none collected.
    const without = await outOfFoldScores([h], examples, valids, {
      folds: 3,
      seed: 1,
      what: 'test',
      prefixCuts: [1, 2],
    });
    expect(without.rows.map((r) => r.scores)).toEqual(out.rows.map((r) => r.scores));
    expect(without.rows.every((r) => r.features === undefined)).toBe(true);
  });
});

describe('stacking learns on member features (memberFeatures)', () => {
  it('by default: one pair of weights per heuristic signal, an explanation that adds up and names them', async () => {
    const e = new Ensemble(both(), { strategy: 'stacking' });
    await e.fit(chats);
    const state = e.toJSON();
    expect(state.memberFeatures).toBe(true);
    // Only the heuristic offers features; the embedding detector offers none. The default memberPrefixCuts
    // ([1]) brings the two message-length terms.
    expect(state.combiner!.memberFeatures).toEqual([{ member: 0, names: [...STYLE_FEATURE_NAMES] }]);
    expect(state.combiner!.weights).toHaveLength(5 * 2 + 1 + 2 + 2 * K);
    const t = unlabel(chats[7]!);
    const r = (await e.detect(t)) as EnsembleResult;
    const note = r.evidence.find((x) => x.name === 'member_features');
    expect(note?.value).toBe('"heuristic"');
    expect(note?.sentence).toMatch(/most of it from [a-z_]+ [+-]\d/);
    const sum = r.evidence.reduce((s, x) => s + (x.contribution ?? 0), 0);
    expect(logit(r.score!)).toBeCloseTo(sum, 9);

    const off = new Ensemble(both(), { strategy: 'stacking', memberFeatures: false });
    await off.fit(chats);
    expect(off.toJSON().combiner!.weights).toHaveLength(5 * 2 + 1 + 2);
    expect(off.toJSON().combiner!.memberFeatures).toBeUndefined();
    expect((await off.detect(t)).evidence.map((x) => x.name)).not.toContain('member_features');
  });

  it('streams to detect(): the last push equals detect() to 1e-12, evidence included', async () => {
    const e = new Ensemble(both(), { strategy: 'stacking' });
    await e.fit(chats);
    for (const i of [0, 7, 20]) {
      const t = unlabel(chats[i]!);
      const r = (await e.detect(t)) as EnsembleResult;
      const live = e.stream({ target: t.target! });
      let last: EnsembleResult | undefined;
      for (const m of t.messages) last = (await live.push(m)) as EnsembleResult;
      expect(Math.abs(last!.score! - r.score!)).toBeLessThan(1e-12);
      expect(last!.evidence.map((x) => x.sentence)).toEqual(r.evidence.map((x) => x.sentence));
    }
    // After the first target message the stream already uses the first-message terms.
    const t = unlabel(chats[7]!);
    const live = e.stream({ target: t.target! });
    const firstAt = t.messages.findIndex((m) => m.speaker === t.target);
    let early: EnsembleResult | undefined;
    for (const m of t.messages.slice(0, firstAt + 1)) early = (await live.push(m)) as EnsembleResult;
    const cut = cutAfterTargetMessage(t, 1)!;
    expect(early!.score).toBeCloseTo((await e.detect(cut)).score!, 12);
  });

  it('saves the features it learned on and reloads with the same scores; the option survives too', async () => {
    const e = new Ensemble([new HeuristicDetector()], { strategy: 'stacking' });
    await e.fit(chats);
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(e.toJSON())), { resolve });
    for (const i of [1, 2, 30]) {
      const t = unlabel(chats[i]!);
      expect((await back.detect(t)).score).toBe((await e.detect(t)).score);
    }
    expect(back.toJSON()).toEqual(e.toJSON());
    const off = new Ensemble([new HeuristicDetector()], { strategy: 'stacking', memberFeatures: false });
    const offBack = await Ensemble.fromJSON(JSON.parse(JSON.stringify(off.toJSON())), { resolve });
    expect(offBack.toJSON().memberFeatures).toBe(false);
  });

  it('rejects saved features that do not fit the combiner or name a missing member', async () => {
    const e = new Ensemble([new HeuristicDetector()], { strategy: 'stacking' });
    await e.fit(chats);
    const s = JSON.parse(JSON.stringify(e.toJSON()));
    const short = { ...s, combiner: { ...s.combiner, weights: s.combiner.weights.slice(1) } };
    await expect(Ensemble.fromJSON(short, { resolve })).rejects.toThrow(/member features/);
    const far = {
      ...s,
      combiner: { ...s.combiner, memberFeatures: [{ member: 3, names: s.combiner.memberFeatures[0].names }] },
    };
    await expect(Ensemble.fromJSON(far, { resolve })).rejects.toThrow(InvalidOptionsError);
    expect(
      () => new Ensemble([new HeuristicDetector()], { strategy: 'stacking', memberFeatures: 'yes' as never }),
    ).toThrow(InvalidOptionsError);
  });

  it('says so when a member scores without the features the combiner was fitted on', async () => {
    const e = new Ensemble([new HeuristicDetector()], { strategy: 'stacking' });
    await e.fit(chats);
    // The same weights behind a wrapper whose detections are plain copies (no features on them).
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(e.toJSON())), {
      resolve: (st) => {
        const inner = HeuristicDetector.fromJSON(st);
        return { name: inner.name, detect: async (t: Transcript) => ({ ...(await inner.detect(t)) }) };
      },
    });
    const r = await back.detect(unlabel(chats[2]!));
    const note = r.evidence.find((x) => x.name === 'member_features_missing');
    expect(note?.sentence).toMatch(/"heuristic" scored but its detection offered none of the \d+ features/);
    expect(r.evidence.map((x) => x.name)).not.toContain('member_features');
    expect((await e.detect(unlabel(chats[2]!))).evidence.map((x) => x.name)).not.toContain(
      'member_features_missing',
    );
  });

  it('state saved at 3a4314d (no member features) still combines without them, exactly as then', async () => {
    const saved = JSON.parse(readFileSync(join(here, 'fixtures/ensemble-state-3a4314d.json'), 'utf8')) as {
      state: DetectorState;
      probeRows: number[];
      scores: number[];
    };
    const ens = await Ensemble.fromJSON(saved.state, { resolve });
    const got = (await ens.detectBatch(saved.probeRows.map((i) => unlabel(chats[i]!)))) as EnsembleResult[];
    got.forEach((r, i) => {
      expect(r.score).toBeCloseTo(saved.scores[i]!, 12);
      expect(r.evidence.map((x) => x.name)).not.toContain('member_features');
    });
    // Its stream uses no features either and still ends on detect().
    const t = unlabel(chats[saved.probeRows[0]!]!);
    const live = ens.stream({ target: t.target! });
    let last: EnsembleResult | undefined;
    for (const m of t.messages) last = (await live.push(m)) as EnsembleResult;
    expect(last!.score).toBeCloseTo(saved.scores[0]!, 12);
  });
});
