import { describe, expect, it } from 'vitest';
import type { DetectorState } from '../../../src/core/detector.js';
import type { Transcript } from '../../../src/core/transcript.js';
import { EmbeddingCentroidDetector } from '../../../src/detectors/embedding/embedding-centroid-detector.js';
import { stopPositions } from '../../../src/detectors/embedding/knn-space.js';
import type { EmbeddingCentroidOptions } from '../../../src/detectors/embedding/options.js';
import { createEnsemble } from '../../../src/detectors/registry.js';
import { HashingEmbedder } from '../../../src/runtime/hashing-embedder.js';
import { parseServiceConfig } from '../../../src/server/config.js';
import { expectSameDetection, labelled } from '../../helpers/embedding-stream-fixture.js';
import {
  expectSameRefusal,
  rejectedInvalidOptions,
  thrownInvalidOptions,
} from '../../helpers/option-refusal.js';
import { chat } from '../../helpers/transcripts.js';

const TRAIN = labelled(20);
const DIM = 1024;

async function fitted(options: EmbeddingCentroidOptions = {}): Promise<EmbeddingCentroidDetector> {
  const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: DIM }), ...options });
  await d.fit(TRAIN);
  return d;
}

/** Transcripts to judge: a few training ones, a new one and one that only uses common n-grams. */
const PROBES: Transcript[] = [
  ...TRAIN.slice(0, 4),
  chat('b', ['a: hi', 'b: Hello ! How are you today ?', 'a: fine', 'b: I love to read . lol yeah', 'b: brb']),
  chat('b', ['a: hi', 'b: Hello !', 'b: I love to read .']),
];

/** Every number in the evidence values, in order (the neighbours' similarities included). */
function numbers(evidence: readonly { value: unknown }[]): number[] {
  const out: number[] = [];
  const walk = (x: unknown): void => {
    if (typeof x === 'number') out.push(x);
    else if (Array.isArray(x)) for (const y of x) walk(y);
    else if (typeof x === 'object' && x !== null) for (const y of Object.values(x)) walk(y);
  };
  for (const e of evidence) walk(e.value);
  return out;
}

async function streamed(
  d: { stream(o: { target: string }): { push(m: Transcript['messages'][number]): Promise<unknown> } },
  t: Transcript,
) {
  const live = d.stream({ target: t.target! });
  let last: unknown;
  for (const m of t.messages) last = await live.push(m);
  return last as Awaited<ReturnType<EmbeddingCentroidDetector['detect']>>;
}

describe('EmbeddingCentroidDetector knnStopShare', () => {
  it('refuses a share outside (0, 1], naming the option, in the constructor and in a spec alike', async () => {
    for (const bad of [0, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '0.5']) {
      const reason = await expectSameRefusal(
        'embedding',
        (o) => new EmbeddingCentroidDetector(o),
        'knnStopShare',
        bad,
      );
      expect(reason).toContain('(0, 1]');
    }
  });

  it('is refused without a hashing embedder, saying what to do, in the constructor and in a spec', async () => {
    // A dense embedding uses every position: stopPositions finds none, so the share would do nothing.
    const dense = {
      id: 'dense-test',
      embed: async (texts: string[]) => texts.map(() => Float32Array.from([1, 0, 0])),
    };
    for (const embedder of [undefined, dense]) {
      const e = thrownInvalidOptions(
        () => new EmbeddingCentroidDetector({ ...(embedder && { embedder }), knnStopShare: 0.1 }),
      );
      expect(e.option).toBe('knnStopShare');
      expect(e.message).toContain('applies to a HashingEmbedder only');
      expect(e.message).toContain('pass embedder: new HashingEmbedder(), or leave knnStopShare out');
    }
    // 1 (the default, nothing left out) is what every embedder does.
    expect(() => new EmbeddingCentroidDetector({ embedder: dense, knnStopShare: 1 })).not.toThrow();
    for (const spec of [
      { type: 'embedding', knnStopShare: 0.1 },
      { type: 'embedding', embedder: 'transformers', knnStopShare: 1 },
    ] as const) {
      const e = await rejectedInvalidOptions(
        createEnsemble({ strategy: 'weighted-mean', detectors: [spec] }),
      );
      expect(e.option).toBe('detectors.0.knnStopShare');
      expect(e.message).toContain(
        'applies to the hashing embedder only (the transformers embedder\'s dense vectors use every position): add "embedder": "hashing", or leave knnStopShare out',
      );
    }
    const config = thrownInvalidOptions(() =>
      parseServiceConfig({
        ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'embedding', knnStopShare: 0.1 }] },
      }),
    );
    expect(config.option).toBe('ensemble.detectors[0].knnStopShare');
    expect(config.message).toContain('add "embedder": "hashing", or leave knnStopShare out');
    expect(
      await createEnsemble({
        strategy: 'weighted-mean',
        detectors: [{ type: 'embedding', embedder: 'hashing', knnStopShare: 0.1 }],
      }),
    ).toBeDefined();
  });

  it('reads a share saved with a dense embedder as 1, which it behaved as', async () => {
    // A fit could save one before the share was refused there; its model has no stop positions.
    const state = (await fitted()).toJSON();
    const dense = { ...state, embedderId: 'transformers:tiny:fp32:mean:norm', knnStopShare: 0.1 };
    const restored = EmbeddingCentroidDetector.fromJSON(dense);
    expect(restored.toJSON()).not.toHaveProperty('knnStopShare');
  });

  it('leaves exactly the positions more than the share of the labelled vectors use out of the kNN vote', async () => {
    const d = await fitted({ knnStopShare: 0.3 });
    const { m } = await d.streamParts();
    const used = new Int32Array(DIM);
    for (const v of m.vectors) {
      if (v instanceof Float32Array) throw new Error('expected sparse hashed vectors');
      for (let k = 0; k < v.indices.length; k++) if (v.values[k] !== 0) used[v.indices[k]!]!++;
    }
    const expected = [...used.keys()].filter((p) => used[p]! > 0.3 * m.vectors.length);
    expect(expected.length).toBeGreaterThan(0);
    expect([...m.knnStop]).toEqual(expected);
    // The vote changes: some neighbour similarity differs from the fit that keeps every position.
    const whole = await fitted();
    const sims = async (x: EmbeddingCentroidDetector) =>
      (await Promise.all(PROBES.map((t) => x.detect(t)))).map((r) => JSON.stringify(r.evidence));
    expect(await sims(d)).not.toEqual(await sims(whole));
    // 1 leaves nothing out; dense vectors never have stop positions.
    expect((await whole.streamParts()).m.knnStop.length).toBe(0);
    expect(stopPositions([new Float32Array([1, 2]), new Float32Array([3, 0])], 2, 0.1).length).toBe(0);
  });

  it("scores the hashed text as the dense embedding's search does, and the stream ends on detect()", async () => {
    for (const share of [0.2, 0.45, 0.8]) {
      const d = await fitted({ knnStopShare: share });
      const { m, index, embedder } = await d.streamParts();
      for (const t of PROBES) {
        const whole = await d.detect(t);
        // detect() reads the hashed blocks; judge() searches the index with the dense embedding.
        const text = t.messages
          .filter((x) => x.speaker === t.target)
          .map((x) => x.text)
          .join('\n');
        const dense = d.judge(m, index, (await embedder.embed([text]))[0]!, 0);
        expect(Math.abs(dense.score! - whole.score!)).toBeLessThan(1e-6);
        // The neighbours and their similarities too (the float32 embedding against double sums: about 1e-8).
        expect(numbers(dense.evidence).length).toBeGreaterThan(10);
        numbers(dense.evidence).forEach((x, i) => {
          expect(Math.abs(x - numbers(whole.evidence)[i]!)).toBeLessThan(1e-6);
        });
        expectSameDetection(await streamed(d, t), whole);
      }
    }
  });

  it('saves the share and the stop positions, and restores them: same state, same scores, same refit', async () => {
    const d = await fitted({ knnStopShare: 0.3 });
    const json = JSON.stringify(d.toJSON());
    const state = JSON.parse(json) as DetectorState;
    expect(state['knnStopShare']).toBe(0.3);
    expect(typeof (state['model'] as Record<string, unknown>)['knnStop']).toBe('string');
    const restored = EmbeddingCentroidDetector.fromJSON(state);
    expect(JSON.stringify(restored.toJSON())).toBe(json);
    for (const t of PROBES) {
      const want = await d.detect(t);
      expect((await restored.detect(t)).score).toBe(want.score);
      expectSameDetection(await streamed(restored, t), want);
    }
    await restored.fit(TRAIN);
    expect(JSON.stringify(restored.toJSON())).toBe(json);
  });

  it('reads state saved before the option existed as leaving nothing out', async () => {
    const plain = await fitted();
    const state = plain.toJSON();
    expect(state).not.toHaveProperty('knnStopShare');
    expect(state['model']).not.toHaveProperty('knnStop');
    const restored = EmbeddingCentroidDetector.fromJSON(state);
    await restored.fit(TRAIN);
    expect(JSON.stringify(restored.toJSON())).toBe(JSON.stringify(state));
  });

  it('refuses saved stop positions that are out of order or out of range', async () => {
    const state = (await fitted({ knnStopShare: 0.3 })).toJSON();
    const model = state['model'] as Record<string, unknown>;
    for (const positions of [[5, 3], [DIM], [-1]]) {
      const bytes = Buffer.alloc(positions.length * 4);
      positions.forEach((p, i) => {
        bytes.writeInt32LE(p, i * 4);
      });
      const bad = { ...state, model: { ...model, knnStop: bytes.toString('base64') } };
      expect(thrownInvalidOptions(() => EmbeddingCentroidDetector.fromJSON(bad)).option).toBe(
        'state.model.knnStop',
      );
    }
  });

  it("in a stacking ensemble's spec: the ensemble's last push equals its detect()", async () => {
    const ensemble = await createEnsemble({
      strategy: 'stacking',
      detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'hashing', knnStopShare: 0.3 }],
    });
    await ensemble.fit(TRAIN);
    for (const t of PROBES) {
      const whole = await ensemble.detect(t);
      const last = await streamed(ensemble as never, t);
      expect(last.label).toBe(whole.label);
      expect(Math.abs(last.score! - whole.score!)).toBeLessThanOrEqual(1e-12);
    }
  });
});
