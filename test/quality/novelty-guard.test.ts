import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Detector, DetectorState } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { noveltyDegree } from '../../src/ensemble/novelty.js';
import type { EnsembleResult } from '../../src/ensemble/types.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { logit } from '../../src/numeric/logistic-regression.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';
import { CONVAI_DIR, describeWithShared, HAS_SHARED, SHARED_SKIP_REASON } from '../helpers/shared.js';
import { chat } from '../helpers/transcripts.js';

const here = dirname(fileURLToPath(import.meta.url));
const chats = await readTranscriptsJsonl(join(here, 'fixtures/chats.jsonl'));

const members = (): Detector[] => [
  new HeuristicDetector(),
  new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 512 }) }),
];

const resolve = (s: DetectorState): Detector =>
  s.kind === 'embedding'
    ? EmbeddingCentroidDetector.fromJSON(s)
    : HeuristicDetector.fromJSON(s as Parameters<typeof HeuristicDetector.fromJSON>[0]);

/** A chat in a vocabulary none of the fixture chats use. */
const far: Transcript = chat('target', [
  'other: hi there',
  'target: Zorblat quinex vurmadge splee, frotwin dazzik plomb.',
  'other: what do you do for fun?',
  'target: Krellum vox ubbatrine gnosh; willop yarn trezzik.',
]);
const unlabel = ({ label: _l, ...t }: LabelledTranscript): Transcript => t;
const ood = (r: EnsembleResult) => r.evidence.find((e) => e.name === 'out_of_distribution');

describe("noveltyGuard: 'fallback' hands far transcripts toward the members that transfer", async () => {
  const ens = new Ensemble(members(), { strategy: 'stacking', noveltyGuard: 'fallback' });
  await ens.fit(chats);

  it('records the guard in its state: per-bucket familiarity quantiles, the set-aside member, a transfer combiner', () => {
    const s = ens.toJSON();
    expect(s.novelty).toMatchObject({ version: 1, mode: 'fallback', setAside: [1] });
    expect(s.novelty!.buckets.length).toBeGreaterThan(1);
    for (const b of s.novelty!.buckets) expect(b.low).toBeLessThanOrEqual(b.high);
  });

  it('says so in the evidence for a far transcript, and not for one like the training chats', async () => {
    const [farResult, nearResult] = (await ens.detectBatch([far, unlabel(chats[0]!)])) as EnsembleResult[];
    const note = ood(farResult!);
    expect(note?.value).toBe(1);
    expect(note?.sentence).toMatch(/far from the fitted data.*without "embedding"/);
    expect(ood(nearResult!)).toBeUndefined();
  });

  it('keeps the explanation additive: shares, intercept and notes sum to the log-odds', async () => {
    const r = (await ens.detect(far)) as EnsembleResult;
    const sum = r.evidence.reduce((a, e) => a + (e.contribution ?? 0), 0);
    expect(sum).toBeCloseTo(logit(r.score!), 6);
  });

  it('moves a far transcript to the transfer combiner: its score is not the full combiner score', async () => {
    const off = new Ensemble(members(), { strategy: 'stacking', noveltyGuard: 'off' });
    await off.fit(chats);
    expect(off.toJSON().novelty).toBeNull();
    const [a, b] = [await ens.detect(far), await off.detect(far)];
    expect(a.score).not.toBeCloseTo(b.score!, 3);
    const [c, d] = [await ens.detect(unlabel(chats[3]!)), await off.detect(unlabel(chats[3]!))];
    expect(c.score).toBe(d.score);
  });

  it('round-trips the guard through JSON, and streaming ends where detect() does', async () => {
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(ens.toJSON())), { resolve });
    expect(back.toJSON().novelty).toEqual(ens.toJSON().novelty);
    expect((await back.detect(far)).score).toBe((await ens.detect(far)).score);
    const live = ens.stream({ target: 'target' });
    let last: Awaited<ReturnType<typeof live.push>> | undefined;
    for (const m of far.messages) last = await live.push(m);
    expect(last!.score).toBe((await ens.detect(far)).score);
    expect(ood(last as EnsembleResult)?.value).toBe(1);
  });

  it('rejects saved state whose guard does not fit the members', async () => {
    const s = ens.toJSON();
    await expect(
      Ensemble.fromJSON({ ...s, novelty: { ...s.novelty!, setAside: [5] } }, { resolve }),
    ).rejects.toThrow(InvalidOptionsError);
    await expect(
      Ensemble.fromJSON(
        { ...s, novelty: { ...s.novelty!, transfer: { weights: [1], intercept: 0 } } },
        { resolve },
      ),
    ).rejects.toThrow(/novelty.transfer has 1 weight/);
  });
});

describe('noveltyDegree', () => {
  // Held-out chats that duplicate fitted ones: familiarity 1 up to the rounded vectors' noise (values from the
  // fixture chats' bucket of three target messages, where the default prefix cuts made the guard move a
  // training chat by 9%).
  const state = {
    version: 1 as const,
    mode: 'fallback' as const,
    buckets: [{ upTo: null, low: 0.9999999205984451, high: 0.9999999232408718, rows: 60 }],
    setAside: [1],
    transfer: { weights: [], intercept: 0 },
    shrink: 0,
  };
  const support = { targetMessages: 3, targetCharacters: 90 };
  it('counts familiarities within rounding noise of the held-out ones as in distribution', () => {
    expect(noveltyDegree(state, support, { value: 0.9999999229910365, members: [1] })).toBe(0);
    expect(noveltyDegree(state, support, { value: 0.99999, members: [1] })).toBe(1);
  });
  it('grades a transcript between the quantiles when they are apart', () => {
    const apart = { ...state, buckets: [{ upTo: null, low: 0.3, high: 0.5, rows: 60 }] };
    expect(noveltyDegree(apart, support, { value: 0.4, members: [1] })).toBeCloseTo(0.5, 12);
  });
});

describe("noveltyGuard: 'report' (the default) says so without changing the score", async () => {
  const ens = new Ensemble(members(), { strategy: 'stacking' });
  await ens.fit(chats);
  const off = new Ensemble(members(), { strategy: 'stacking', noveltyGuard: 'off' });
  await off.fit(chats);

  it('adds the evidence for a far transcript only, with the score the fallback would give', async () => {
    expect(ens.toJSON().novelty?.mode).toBe('report');
    const [a, near] = (await ens.detectBatch([far, unlabel(chats[0]!)])) as EnsembleResult[];
    const b = await off.detect(far);
    expect(a!.score).toBe(b.score);
    const note = ood(a!);
    expect(note?.value).toBe(1);
    expect(note?.contribution).toBeUndefined();
    expect(note?.sentence).toMatch(/noveltyGuard: 'fallback'\) would give P\(bot\) = 0\.\d{3}/);
    expect(ood(near!)).toBeUndefined();
    expect(ood((await off.detect(far)) as EnsembleResult)).toBeUndefined();
  });

  it('rejects an unknown mode', () => {
    expect(
      () => new Ensemble(members(), { strategy: 'stacking', noveltyGuard: 'on' as unknown as 'report' }),
    ).toThrow(/noveltyGuard/);
  });
});

describe('state saved before the guard existed', () => {
  it('loads and scores as it did at e38745d, with no out-of-distribution evidence', async () => {
    const saved = JSON.parse(readFileSync(join(here, 'fixtures/ensemble-state-e38745d.json'), 'utf8')) as {
      state: DetectorState;
      probeRows: number[];
      scores: number[];
    };
    expect(saved.state['novelty']).toBeUndefined();
    const ens = await Ensemble.fromJSON(saved.state, { resolve });
    const got = (await ens.detectBatch(saved.probeRows.map((i) => unlabel(chats[i]!)))) as EnsembleResult[];
    got.forEach((r, i) => {
      expect(r.score).toBeCloseTo(saved.scores[i]!, 12);
    });
    expect(ood((await ens.detect(far)) as EnsembleResult)).toBeUndefined();
  });
});

describeWithShared('the guard on ConvAI (fitted on ConvAI2 sources)', () => {
  if (!HAS_SHARED) it.skip(SHARED_SKIP_REASON, () => {});
  it('flags unseen convai1-2017 bots far more often than held-out rows of the fitted sources', async () => {
    const train = await readTranscriptsJsonl(join(CONVAI_DIR, 'train.jsonl'), { fields: ['source'] });
    const dev = await readTranscriptsJsonl(join(CONVAI_DIR, 'dev.jsonl'), { fields: ['source'] });
    const isC1 = (r: { fields?: Record<string, unknown> }) => r.fields?.['source'] === 'convai1-2017';
    const ens = new Ensemble(
      [new HeuristicDetector(), new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() })],
      { strategy: 'stacking', noveltyGuard: 'fallback' },
    );
    await ens.fit(train.filter((r) => !isC1(r)));
    const share = async (rows: LabelledTranscript[]) => {
      const rs = (await ens.detectBatch(rows.map(unlabel))) as EnsembleResult[];
      return rs.filter((r) => ood(r) !== undefined).length / rs.length;
    };
    const unseen = await share(dev.filter(isC1));
    const seen = await share(dev.filter((r) => !isC1(r)));
    expect(unseen).toBeGreaterThan(2 * seen);
    expect(seen).toBeLessThan(0.35);
  }, 300_000);
});
