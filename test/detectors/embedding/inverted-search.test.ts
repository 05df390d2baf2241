import { describe, expect, it } from 'vitest';
import { ExactSearch } from '../../../src/ann/exact-search.js';
import { compactVector } from '../../../src/ann/vector-math.js';
import { InvertedExactSearch } from '../../../src/detectors/embedding/inverted-search.js';
import { HashingEmbedder } from '../../../src/runtime/hashing-embedder.js';

describe('InvertedExactSearch', () => {
  it('finds the neighbours ExactSearch finds, with the same similarities up to rounding', () => {
    const e = new HashingEmbedder({ dim: 2048 });
    const words = ['hello', 'there', 'I', 'am', 'fine', '.', 'lol', 'ok', 'what', 'do', 'you', 'like', '?'];
    const texts = Array.from({ length: 120 }, (_, i) =>
      Array.from({ length: 3 + (i % 7) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' '),
    );
    const vectors = texts.map((t) => compactVector(e.embedOne(t)));
    const center = new Float32Array(2048);
    for (const t of texts) {
      e.embedOne(t).forEach((v, j) => {
        center[j]! += v / texts.length;
      });
    }
    const exact = new ExactSearch({ dim: 2048, center });
    const inverted = new InvertedExactSearch(2048, center);
    exact.add(vectors);
    inverted.add(vectors);
    for (const q of ['hello there', 'lol ok what', 'I am fine .', 'zzz']) {
      const query = e.embedOne(q);
      const a = exact.search(query, 8, { exclude: (id) => id % 5 === 0 });
      const b = inverted.search(query, 8, { exclude: (id) => id % 5 === 0 });
      expect(b.map((n) => n.id)).toEqual(a.map((n) => n.id));
      b.forEach((n, i) => {
        expect(n.similarity).toBeCloseTo(a[i]!.similarity, 12);
      });
    }
    expect(() => inverted.search(new Float32Array(3), 1)).toThrow();
  });
});
