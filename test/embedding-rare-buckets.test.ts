import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DetectorState } from '../src/core/detector.js';
import { bucketScale, conversationCounts, countsByRule } from '../src/detectors/embedding/bucket-spread.js';
import { EmbeddingCentroidDetector } from '../src/detectors/embedding/embedding-centroid-detector.js';
import type { EmbeddingCentroidOptions } from '../src/detectors/embedding/options.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { HashingEmbedder } from '../src/runtime/hashing-embedder.js';
import { RARE_PHRASE, rarePhraseConversations } from './helpers/rare-phrase-fixture.js';

const TRAIN = rarePhraseConversations(24);
const DIM = 4096;

async function fitted(options: EmbeddingCentroidOptions = {}) {
  const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: DIM }), ...options });
  await d.fit(TRAIN);
  return d;
}

function probeWeights(state: DetectorState): Float32Array {
  const model = state['model'] as { probe: { weights: string } };
  const b = Buffer.from(model.probe.weights, 'base64');
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

/** Positions of the rare phrase that no other training text of the target bot or human touches. */
async function rareOnlyPositions(): Promise<number[]> {
  const e = new HashingEmbedder({ dim: DIM });
  const [rare] = await e.embed([RARE_PHRASE]);
  const others = await e.embed(TRAIN.flatMap((t) => t.messages.map((m) => m.text.replace(RARE_PHRASE, ''))));
  return [...rare!.keys()].filter((j) => rare![j] !== 0 && others.every((v) => v[j] === 0));
}

describe('EmbeddingCentroidDetector rareBuckets', () => {
  it('with the option off, fits exactly the state it fitted before the option existed', async () => {
    const state = (await fitted()).toJSON();
    expect(state).not.toHaveProperty('rareBuckets');
    // sha256 of the same fit by the code at 87be6b4 (before rareBuckets).
    expect(createHash('sha256').update(JSON.stringify(state)).digest('hex')).toBe(
      'e2713d10d1c554d23d1d4d2fcff93d661db60ff1ec75125dc9654b548c4a6bff',
    );
  });

  it('drop: gives no probe weight to positions seen in fewer conversations than asked', async () => {
    const rare = await rareOnlyPositions();
    expect(rare.length).toBeGreaterThan(0);
    const off = probeWeights((await fitted()).toJSON());
    expect(rare.some((j) => off[j] !== 0)).toBe(true);
    const on = probeWeights((await fitted({ rareBuckets: { minConversations: 2 } })).toJSON());
    for (const j of rare) expect(on[j]).toBe(0);
    // A minimum above the number of conversations leaves the probe nothing but its intercept.
    const none = probeWeights((await fitted({ rareBuckets: { minConversations: 1000 } })).toJSON());
    expect(none.every((w) => w === 0)).toBe(true);
  });

  it('shrink: keeps rare positions with smaller weights than without the rule', async () => {
    const rare = await rareOnlyPositions();
    const off = probeWeights((await fitted()).toJSON());
    const on = probeWeights(
      (await fitted({ rareBuckets: { minConversations: 8, action: 'shrink' } })).toJSON(),
    );
    const size = (w: Float32Array) => rare.reduce((s, j) => s + Math.abs(w[j]!), 0);
    expect(size(on)).toBeGreaterThan(0);
    expect(size(on)).toBeLessThan(size(off));
  });

  it('saves the rule only when set and restores it, scores and state unchanged', async () => {
    for (const rareBuckets of [
      undefined,
      { minConversations: 3, action: 'shrink' as const, count: 'any' as const },
    ]) {
      const d = await fitted(rareBuckets ? { rareBuckets } : {});
      const json = JSON.stringify(d.toJSON());
      const state = JSON.parse(json) as DetectorState;
      expect(state['rareBuckets']).toEqual(rareBuckets);
      const restored = EmbeddingCentroidDetector.fromJSON(state);
      expect(JSON.stringify(restored.toJSON())).toBe(json);
      for (const t of TRAIN.slice(0, 6))
        expect((await restored.detect(t)).score).toBe((await d.detect(t)).score);
      // A refit of the restored detector applies the same rule.
      await restored.fit(TRAIN);
      expect(JSON.stringify(restored.toJSON())).toBe(json);
    }
  });

  it('refuses a malformed rule, naming the option', () => {
    const bad: unknown[] = [
      null,
      1,
      {},
      { minConversations: 1 },
      { minConversations: 2.5 },
      { minConversations: 3, action: 'zero' },
      { minConversations: 3, extra: true },
      { minConversations: 3, count: 'all' },
    ];
    for (const rareBuckets of bad) {
      const make = () =>
        new EmbeddingCentroidDetector({
          embedder: new HashingEmbedder({ dim: DIM }),
          rareBuckets: rareBuckets as EmbeddingCentroidOptions['rareBuckets'],
        });
      expect(make).toThrow(InvalidOptionsError);
      expect(make).toThrow(/rareBuckets/);
    }
  });
});

describe('conversationCounts / countsByRule / bucketScale', () => {
  it('counts each conversation once per position, per fold and per class, and scales by the rule', () => {
    const row = (indices: number[]) => ({
      indices: Int32Array.from(indices),
      values: new Float32Array(indices.length).fill(1),
    });
    const rows = [row([0, 1]), row([0, 1, 2]), row([1]), row([1, 3])];
    // rows 0 and 1 are one conversation (fold 0); rows 2 and 3 are two more (fold 1). Rows 0 and 2 are bots.
    const group = [0, 0, 1, 2];
    const fold = [0, 0, 1, 1];
    const { total, inFold } = conversationCounts(rows, [0, 1, 2, 3], group, fold, 2, 4);
    expect([...total]).toEqual([1, 3, 1, 1]);
    expect([...inFold[0]!]).toEqual([1, 1, 1, 0]);
    expect([...inFold[1]!]).toEqual([0, 2, 0, 1]);
    const labels = Uint8Array.from([1, 0, 1, 0]);
    const rule = (count: 'any' | 'eachClass') =>
      countsByRule(
        { minConversations: 2, action: 'drop', count },
        rows,
        [0, 1, 2, 3],
        labels,
        group,
        fold,
        2,
        4,
      );
    expect([...rule('any')()]).toEqual([1, 3, 1, 1]);
    expect([...rule('any')(1)]).toEqual([1, 1, 1, 0]);
    // Bot conversations [1, 2, 0, 0], human ones [1, 2, 1, 1]: the fewer.
    expect([...rule('eachClass')()]).toEqual([1, 2, 0, 0]);
    expect([...rule('eachClass')(1)]).toEqual([1, 1, 0, 0]);
    expect([...bucketScale(total, { minConversations: 2, action: 'drop' })]).toEqual([0, 1, 0, 0]);
    expect([...bucketScale(total, { minConversations: 4, action: 'shrink' })]).toEqual([
      0.5,
      Math.sqrt(0.75),
      0.5,
      0.5,
    ]);
  });
});
