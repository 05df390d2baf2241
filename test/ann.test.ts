import { describe, expect, it } from 'vitest';
import { ExactSearch } from '../src/ann/exact-search.js';
import { HNSW_DEFAULTS, HnswIndex, hnswAvailable } from '../src/ann/hnsw-index.js';
import { TopK } from '../src/ann/top-k.js';
import {
  decodeFloat32,
  decodeVectors,
  encodeFloat32,
  encodeVectors,
  fromFloat16Bits,
  roundToFloat16,
  toFloat16Bits,
} from '../src/ann/vector-codec.js';
import { checkVector } from '../src/ann/vector-index.js';
import { dot, gramMatrix, pivotCoefficients, spanBasis, toSparse } from '../src/ann/vector-math.js';
import { BotlensError } from '../src/errors/botlens-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';

/** mulberry32 + Box-Muller: seeded Gaussian numbers. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-12))) * Math.cos(2 * Math.PI * u());
}

function unit(v: Float32Array): Float32Array {
  const n = Math.sqrt(dot(v, v));
  return v.map((x) => x / n);
}

/** `n` clustered unit vectors: 50 random centres plus noise (like real embeddings). */
function clustered(n: number, dim: number, seed: number): Float32Array[] {
  const g = gaussian(seed);
  const centres = Array.from({ length: 50 }, () => unit(Float32Array.from({ length: dim }, g)));
  return Array.from({ length: n }, (_, i) => {
    const c = centres[(i * 7919) % centres.length]!;
    return unit(Float32Array.from({ length: dim }, (_, j) => c[j]! + (0.9 / Math.sqrt(dim)) * g()));
  });
}

function v(...xs: number[]): Float32Array {
  return Float32Array.from(xs);
}

describe('ExactSearch', () => {
  it('returns the k most similar vectors by cosine, best first, ties by lower id', () => {
    const index = new ExactSearch({ dim: 2 });
    index.add([v(1, 0), v(0, 1), v(1, 1), v(2, 0), v(-1, 0)]);
    const hits = index.search(v(1, 0), 3);
    expect(hits.map((h) => h.id)).toEqual([0, 3, 2]);
    expect(hits[0]!.similarity).toBeCloseTo(1, 12);
    expect(hits[2]!.similarity).toBeCloseTo(Math.SQRT1_2, 12);
    expect(index.size).toBe(5);
    expect(index.method).toBe('exact');
  });

  it('returns every vector when k exceeds the set, and leaves out excluded ids', () => {
    const index = new ExactSearch({ dim: 2 });
    index.add([v(1, 0), v(0, 1), v(1, 1)]);
    expect(index.search(v(1, 0.1), 50)).toHaveLength(3);
    expect(index.search(v(1, 0.1), 2, { exclude: (id) => id === 0 }).map((h) => h.id)).toEqual([2, 1]);
    expect(new ExactSearch({ dim: 2 }).search(v(1, 0), 3)).toEqual([]);
  });

  it('measures the cosine after subtracting the center', () => {
    const center = v(0.5, 0.5, 0);
    const index = new ExactSearch({ dim: 3, center });
    const a = v(1, 0, 0.2);
    const b = v(0, 1, 0.3);
    index.add([a, b]);
    const q = v(0.9, 0.2, 0.1);
    const minus = (x: Float32Array) => x.map((y, i) => y - center[i]!);
    const expected = [a, b].map(
      (x) => dot(minus(q), minus(x)) / Math.sqrt(dot(minus(q), minus(q)) * dot(minus(x), minus(x))),
    );
    const sims = index.similarities(q);
    expect(sims[0]).toBeCloseTo(expected[0]!, 6);
    expect(sims[1]).toBeCloseTo(expected[1]!, 6);
  });

  it('gives the same answers for sparse and dense storage of the same vectors', () => {
    const g = gaussian(3);
    const dim = 500;
    const data = Array.from({ length: 40 }, () => {
      const x = new Float32Array(dim);
      for (let k = 0; k < 20; k++) x[Math.floor(Math.abs(g()) * 97) % dim] = g();
      return x;
    });
    const center = Float32Array.from({ length: dim }, () => 0.01 * g());
    const a = new ExactSearch({ dim, center });
    a.add(data); // stored sparse (4% non-zero)
    const b = new ExactSearch({ dim, center });
    b.add(data.map((x) => toSparse(x)));
    const q = data[5]!;
    const ha = a.search(q, 5);
    const hb = b.search(q, 5);
    expect(hb.map((h) => h.id)).toEqual(ha.map((h) => h.id));
    hb.forEach((h, i) => {
      expect(h.similarity).toBeCloseTo(ha[i]!.similarity, 9);
    });
    expect(ha[0]!.id).toBe(5);
  });

  it('rejects other dimensions, non-finite values and bad k with typed errors', () => {
    const index = new ExactSearch({ dim: 3 });
    expect(() => index.add([v(1, 2)])).toThrow(/2 dimensions but 3/);
    try {
      index.search(v(1, 2), 1);
      expect.unreachable();
    } catch (err) {
      expect(BotlensError.isInstance(err) && err.code === 'DIMENSION_MISMATCH').toBe(true);
    }
    expect(() => index.add([v(1, Number.NaN, 0)])).toThrow(InvalidOptionsError);
    index.add([v(1, 0, 0)]);
    expect(() => index.search(v(1, 0, 0), 0)).toThrow(/positive integer/);
    expect(() => index.search(v(1, 0, 0), 1.5)).toThrow(InvalidOptionsError);
    expect(() => new ExactSearch({ dim: 0 })).toThrow(InvalidOptionsError);
  });

  it('names the vector in the error for a sparse one with a position beyond dim', () => {
    const index = new ExactSearch({ dim: 4 });
    const far = { indices: Int32Array.from([1, 6]), values: Float32Array.from([1, 2]) };
    expect(() => index.add([v(1, 0, 0, 0), far])).toThrow(
      /vector 1 \(highest position \+ 1\) has 7 dimensions but 4/,
    );
    expect(index.size).toBe(0); // nothing added when one vector is bad
  });

  it('gives zero similarity for a zero vector instead of NaN', () => {
    const index = new ExactSearch({ dim: 2 });
    index.add([v(0, 0), v(1, 0)]);
    const hits = index.search(v(1, 0), 2);
    expect(hits.map((h) => h.similarity)).toEqual([1, 0]);
  });
});

/** hnswlib-node is an optional peer dependency with a native addon (built by `npm run rebuild:hnsw`, which needs a C++ toolchain; CI builds it). */
const HNSW = await hnswAvailable();
if (!HNSW)
  console.warn(
    '[botlens tests] skipped HnswIndex: hnswlib-node is not built here (run `npm run rebuild:hnsw`)',
  );

describe.skipIf(!HNSW)('HnswIndex', () => {
  it('finds the true top hit and >= 98% of the true 10 nearest on 5k clustered vectors', async () => {
    const dim = 128;
    const all = clustered(5200, dim, 11);
    const data = all.slice(0, 5000);
    const queries = all.slice(5000);
    const hnsw = await HnswIndex.create({ dim });
    hnsw.add(data);
    const exact = new ExactSearch({ dim });
    exact.add(data);
    let hits = 0;
    for (const q of queries) {
      const truth = exact.search(q, 10);
      const got = hnsw.search(q, 10);
      expect(got).toHaveLength(10);
      expect(got[0]!.id).toBe(truth[0]!.id);
      expect(got[0]!.similarity).toBeCloseTo(truth[0]!.similarity, 5);
      const ids = new Set(truth.map((h) => h.id));
      for (const h of got) if (ids.has(h.id)) hits++;
    }
    const recall = hits / (queries.length * 10);
    expect(recall).toBeGreaterThanOrEqual(0.98);
    expect(hnsw.size).toBe(5000);
    expect(hnsw.efSearch).toBe(HNSW_DEFAULTS.efSearch);
    hnsw.dispose();
  });

  it('grows past its capacity, caps k at the set size, honours exclude and a center', async () => {
    const center = v(0.5, 0.5, 0);
    const hnsw = await HnswIndex.create({ dim: 3, capacity: 2, center });
    const exact = new ExactSearch({ dim: 3, center });
    const data = [v(1, 0, 0), v(0, 1, 0), v(0, 0, 1), v(1, 1, 0.5), v(0.2, 0.9, 0.1)];
    hnsw.add(data);
    exact.add(data);
    expect(hnsw.size).toBe(5);
    const q = v(0.9, 0.1, 0.2);
    const got = hnsw.search(q, 50);
    const truth = exact.search(q, 50);
    expect(got.map((h) => h.id)).toEqual(truth.map((h) => h.id));
    got.forEach((h, i) => {
      expect(h.similarity).toBeCloseTo(truth[i]!.similarity, 5);
    });
    const top = truth[0]!.id;
    expect(hnsw.search(q, 2, { exclude: (id) => id === top }).map((h) => h.id)).not.toContain(top);
  });

  it('gives identical results when rebuilt from the same vectors (deterministic graph)', async () => {
    const data = clustered(800, 32, 5);
    const a = await HnswIndex.create({ dim: 32 });
    const b = await HnswIndex.create({ dim: 32 });
    a.add(data);
    b.add(data);
    for (const q of data.slice(0, 30)) expect(b.search(q, 10)).toEqual(a.search(q, 10));
  });

  it('rejects bad settings, other dimensions and use after dispose', async () => {
    await expect(HnswIndex.create({ dim: 4, m: 0 })).rejects.toThrow(InvalidOptionsError);
    await expect(HnswIndex.create({ dim: -1 })).rejects.toThrow(InvalidOptionsError);
    const h = await HnswIndex.create({ dim: 4 });
    expect(() => h.add([v(1, 2, 3)])).toThrow(/3 dimensions but 4/);
    // The same checks as ExactSearch (one checkVector): a sparse vector is named by its index in the batch.
    const far = { indices: Int32Array.from([7]), values: Float32Array.from([1]) };
    expect(() => h.add([far])).toThrow(/vector 0 \(highest position \+ 1\) has 8 dimensions but 4/);
    const bad = { indices: Int32Array.from([1]), values: Float32Array.from([Number.NaN]) };
    expect(() => h.add([bad])).toThrow(InvalidOptionsError);
    expect(h.search(v(1, 0, 0, 0), 3)).toEqual([]);
    expect(() => {
      h.efSearch = 0;
    }).toThrow(InvalidOptionsError);
    h.dispose();
    expect(() => h.search(v(1, 0, 0, 0), 1)).toThrow(/disposed/);
  });
});

describe('checkVector', () => {
  it('checks a dense length, a sparse highest position and finite entries, naming the vector', () => {
    expect(() => checkVector('query', v(1, 2), 3)).toThrow(/query has 2 dimensions but 3/);
    const sparse = { indices: Int32Array.from([0, 5]), values: Float32Array.from([1, 2]) };
    expect(() => checkVector('vector 2', sparse, 4)).toThrow(/vector 2 \(highest position \+ 1\) has 6/);
    const nan = { indices: Int32Array.from([1]), values: Float32Array.from([Number.NaN]) };
    expect(() => checkVector('center', nan, 4)).toThrow(/center.*entry 0 is NaN/);
    expect(() => checkVector('query', v(1, 2, Number.POSITIVE_INFINITY), 3)).toThrow(/entry 2 is Infinity/);
    expect(() => checkVector('query', v(1, 2, 3), 3)).not.toThrow();
    expect(() =>
      checkVector('vector 0', { indices: new Int32Array(0), values: new Float32Array(0) }, 3),
    ).not.toThrow();
  });
});

describe('vector codec', () => {
  it('converts float16 exactly for representable values and rounds to nearest even', () => {
    for (const x of [0, 1, -2, 0.5, 65504, 2 ** -24, -(2 ** -14)])
      expect(fromFloat16Bits(toFloat16Bits(x))).toBe(x);
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie: rounds to even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(fromFloat16Bits(toFloat16Bits(1e6))).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN)))).toBe(true);
    expect(Math.abs(fromFloat16Bits(toFloat16Bits(0.1)) - 0.1)).toBeLessThan(1e-4);
  });

  it('round-trips float32 and float16-rounded vectors, dense and sparse, exactly', () => {
    const f = v(1.5, -2.25, 3.1e-7, 0);
    expect(decodeFloat32(JSON.parse(JSON.stringify(encodeFloat32(f))))).toEqual(f);
    const g = gaussian(9);
    const dense = Array.from({ length: 5 }, () => roundToFloat16(Float32Array.from({ length: 8 }, g)));
    const d = decodeVectors(JSON.parse(JSON.stringify(encodeVectors(dense, 8))));
    expect(d).toEqual(dense);
    const sparseIn = Array.from({ length: 5 }, (_, i) => {
      const x = new Float32Array(100);
      x[i] = 0.5;
      x[50 + i] = -0.25;
      return toSparse(x);
    });
    const saved = encodeVectors(sparseIn, 100);
    expect(saved.format).toBe('sparse');
    const back = decodeVectors(JSON.parse(JSON.stringify(saved)));
    back.forEach((b, i) => {
      expect(b instanceof Float32Array).toBe(false);
      expect(Array.from((b as { indices: Int32Array }).indices)).toEqual([i, 50 + i]);
    });
  });

  it('rejects malformed saved vectors', () => {
    expect(() => decodeFloat32('not base64!', 'x')).toThrow(InvalidOptionsError);
    expect(() => decodeFloat32(encodeFloat32(v(1, 2)), 'x', 3)).toThrow(/expected 3/);
    const saved = encodeVectors([v(1, 0, 0, 0, 0, 0, 0, 0, 0, 0)], 10);
    expect(() => decodeVectors({ ...saved, count: 2 })).toThrow(InvalidOptionsError);
    expect(() => decodeVectors({ ...saved, format: 'zip' })).toThrow(/dense|sparse/);
  });
});

describe('span basis', () => {
  it('gives coordinates whose dot products equal the Gram matrix, dropping dependent vectors', () => {
    const g = gaussian(4);
    const base = Array.from({ length: 4 }, () => Float32Array.from({ length: 30 }, g));
    const vectors = [...base, base[0]!.map((x, i) => x + 2 * base[1]![i]!), Float32Array.from(base[2]!)];
    const G = gramMatrix(vectors, 30);
    const basis = spanBasis(G, vectors.length);
    expect(basis.rank).toBe(4);
    for (let i = 0; i < vectors.length; i++) {
      for (let j = 0; j < vectors.length; j++) {
        expect(dot(basis.coords[i]!, basis.coords[j]!)).toBeCloseTo(G[i * vectors.length + j]!, 6);
      }
    }
    // A linear model on the coordinates is one weight vector in the original space.
    const beta = [0.3, -1, 2, 0.5];
    const a = pivotCoefficients(basis, beta);
    const w = new Float64Array(30);
    basis.pivots.forEach((p, k) => {
      for (let j = 0; j < 30; j++) w[j]! += a[k]! * vectors[p]![j]!;
    });
    for (let i = 0; i < vectors.length; i++)
      expect(dot(w, vectors[i]!)).toBeCloseTo(dot(beta, basis.coords[i]!), 6);
  });
});

describe('TopK', () => {
  it('keeps the best k, best first, ties broken by lower id', () => {
    const t = new TopK(3);
    [0.2, 0.9, 0.5, 0.9, 0.1, 0.7].forEach((s, i) => {
      t.offer(i, s);
    });
    expect(t.sorted()).toEqual([
      { id: 1, similarity: 0.9 },
      { id: 3, similarity: 0.9 },
      { id: 5, similarity: 0.7 },
    ]);
    expect(t.floor).toBe(0.7);
  });

  it('with k = 0 keeps nothing, and its floor lets no candidate pass', () => {
    const t = new TopK(0);
    expect(t.floor).toBe(Number.POSITIVE_INFINITY);
    t.offer(0, 0.9);
    expect(t.sorted()).toEqual([]);
    expect(t.floor).toBe(Number.POSITIVE_INFINITY);
  });
});
