import { describe, expect, it } from 'vitest';
import type { CompactVector } from '../../../src/ann/vector-math.js';
import { type CachedEmbedding, FitCache, type GramView } from '../../../src/detectors/embedding/fit-cache.js';
import { seededRandom } from '../../../src/numeric/random.js';

const DIM = 256;

/** The n x n matrix a view stands for, row-major. */
function matrix(g: GramView): number[] {
  const n = g.slots.length;
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) out.push(g.values[g.slots[i]! * g.stride + g.slots[j]!]!);
  return out;
}

/** Sparse (and a few dense) float16-like vectors, one per text. */
function vectors(n: number): Map<string, CachedEmbedding> {
  const rand = seededRandom(5);
  const out = new Map<string, CachedEmbedding>();
  for (let i = 0; i < n; i++) {
    let v: CompactVector;
    if (i % 10 === 3) v = Float32Array.from({ length: DIM }, () => Math.fround(rand() - 0.5));
    else {
      const idx: number[] = [];
      for (let j = 0; j < DIM; j++) if (rand() < (j < 8 ? 0.9 : 0.05)) idx.push(j);
      v = { indices: Int32Array.from(idx), values: Float32Array.from(idx, () => Math.fround(rand() - 0.5)) };
    }
    out.set(`text ${i}`, { raw: v, rounded: v });
  }
  return out;
}

describe('FitCache.gramFor', () => {
  it("gives the same Gram matrix, bit for bit, as a fresh cache through an ensemble's refits on overlapping folds", async () => {
    const byText = vectors(60);
    const texts = [...byText.keys()];
    const embed = async (ts: string[]) => ts.map((t) => byText.get(t)!);
    const cache = new FitCache();
    // Five fits on 4/5 of the texts (fold f left out), then one on all: the third fit meets pairs (fold 0 with
    // fold 1) that no earlier fit held, the last ones only known pairs.
    for (let f = 0; f <= 5; f++) {
      const sub = texts.filter((_, i) => i % 5 !== f).reverse();
      const { slots } = await cache.lookup('e', sub, embed);
      const got = matrix(cache.gramFor(slots!, DIM));
      const fresh = new FitCache();
      const again = await fresh.lookup('e', sub, embed);
      const want = matrix(fresh.gramFor(again.slots!, DIM));
      expect(got).toEqual(want);
    }
  });

  it('with a kNN set, computes each pair with a set text and each diagonal, bit for bit, and no cut-cut pair', async () => {
    const byText = vectors(40);
    const texts = [...byText.keys()];
    const embed = async (ts: string[]) => ts.map((t) => byText.get(t)!);
    const full = new FitCache();
    const all = await full.lookup('e', texts, embed);
    const want = matrix(full.gramFor(all.slots!, DIM));
    // Folds of texts where the last 15 are cuts (outside the kNN set), as the embedding detector orders them.
    const cache = new FitCache();
    for (let f = 0; f < 3; f++) {
      const keep = texts.map((_, i) => i).filter((i) => i % 3 !== f);
      const nn = keep.filter((i) => i < 25).length;
      const { slots } = await cache.lookup(
        'e',
        keep.map((i) => texts[i]!),
        embed,
      );
      const got = matrix(cache.gramFor(slots!, DIM, nn));
      const n = keep.length;
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          const v = got[a * n + b]!;
          if (a < nn || b < nn || a === b) expect(v).toBe(want[keep[a]! * 40 + keep[b]!]!);
          else expect(v).toBeNaN();
        }
    }
  });

  it('holds the dot products of the vectors', async () => {
    const byText = vectors(12);
    const texts = [...byText.keys()];
    const cache = new FitCache();
    const { slots, entries } = await cache.lookup('e', texts, async (ts) => ts.map((t) => byText.get(t)!));
    const g = matrix(cache.gramFor(slots!, DIM));
    const dense = entries.map((e) => {
      const v = e.rounded;
      if (v instanceof Float32Array) return v;
      const d = new Float32Array(DIM);
      v.indices.forEach((j, k) => {
        d[j] = v.values[k]!;
      });
      return d;
    });
    for (let i = 0; i < texts.length; i++) {
      for (let j = 0; j < texts.length; j++) {
        let s = 0;
        for (let k = 0; k < DIM; k++) s += dense[i]![k]! * dense[j]![k]!;
        expect(g[i * texts.length + j]).toBeCloseTo(s, 12);
      }
    }
  });
});
