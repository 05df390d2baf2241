import { describe, expect, it } from 'vitest';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { seededRandom } from '../src/numeric/random.js';
import { HashingEmbedder, isHashingEmbedder } from '../src/runtime/hashing-embedder.js';

function cos(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function norm(a: Float32Array): number {
  return Math.sqrt(cos(a, a));
}

describe('HashingEmbedder', () => {
  it('gives unit vectors of the default size, the same on every call and instance', async () => {
    const texts = ['Hello ! I am fine . What do you do for a living ?', 'lol yeah 😂 idk'];
    const [a, b] = await new HashingEmbedder().embed(texts);
    const [a2] = await new HashingEmbedder().embed([texts[0]!]);
    expect(a!.length).toBe(16384);
    expect(norm(a!)).toBeCloseTo(1, 6);
    expect(norm(b!)).toBeCloseTo(1, 6);
    expect(Array.from(a2!)).toEqual(Array.from(a!));
    expect(new HashingEmbedder().embedOne(texts[1]!)).toEqual(b);
  });

  it('embeds empty and whitespace-only text to the zero vector', async () => {
    const out = await new HashingEmbedder({ dim: 64 }).embed(['', '  \n\t ']);
    for (const v of out) expect(v.every((x) => x === 0)).toBe(true);
  });

  it('uses signed hashing: some buckets are negative', () => {
    const v = new HashingEmbedder({ dim: 1024 }).embedOne(
      'the quick brown fox jumps over the lazy dog again and again',
    );
    expect(v.some((x) => x < 0)).toBe(true);
    expect(v.some((x) => x > 0)).toBe(true);
  });

  it('applies sublinear term frequency: a word seen 3 times weighs log(4)/log(2) = 2x a word seen once', () => {
    const e = new HashingEmbedder({ dim: 1 << 16, wordNgramMax: 1, charNgramMax: 0 });
    const v = e.embedOne('aa aa aa bb');
    const mags = Array.from(v)
      .filter((x) => x !== 0)
      .map(Math.abs)
      .sort((x, y) => x - y);
    expect(mags).toHaveLength(2);
    expect(mags[1]! / mags[0]!).toBeCloseTo(2, 5);
  });

  it('puts related texts closer than unrelated ones', () => {
    const e = new HashingEmbedder();
    const a = e.embedOne('i love to read books . what is your favorite book ?');
    const b = e.embedOne('i like reading books . what books do you like ?');
    const c = e.embedOne('My cat knocked the vase off the shelf lmao');
    expect(cos(a, b)).toBeGreaterThan(cos(a, c) + 0.1);
  });

  it('sees casing and punctuation spacing unless told to lowercase', () => {
    const keep = new HashingEmbedder();
    expect(cos(keep.embedOne('I am fine.'), keep.embedOne('i am fine .'))).toBeLessThan(0.9);
    const lower = new HashingEmbedder({ lowercase: true });
    expect(cos(lower.embedOne('Hello There'), lower.embedOne('hello there'))).toBeCloseTo(1, 6);
    expect(cos(keep.embedOne('Hello There'), keep.embedOne('hello there'))).toBeLessThan(0.99);
  });

  it('encodes every setting in its id and rebuilds itself from it', async () => {
    const e = new HashingEmbedder({
      dim: 2048,
      charNgramMin: 2,
      charNgramMax: 4,
      lowercase: true,
      wordWeight: 0.5,
    });
    expect(e.id).toBe('hashing-v1:dim=2048,word=1-2,char=2-4,lower=1,ww=0.5,cw=1');
    expect(new HashingEmbedder().id).not.toBe(new HashingEmbedder({ dim: 4096 }).id);
    const again = HashingEmbedder.fromId(e.id)!;
    expect(again.id).toBe(e.id);
    const text = 'Rebuilt embedders give the same vectors.';
    expect(Array.from(again.embedOne(text))).toEqual(Array.from(e.embedOne(text)));
    expect(HashingEmbedder.fromId(new HashingEmbedder({ charNgramMax: 0 }).id)?.id).toBe(
      new HashingEmbedder({ charNgramMax: 0 }).id,
    );
    expect(HashingEmbedder.fromId('transformers:Xenova/e5-small-v2:fp32:mean:norm')).toBeUndefined();
    expect(() => HashingEmbedder.fromId('hashing-v1:dim=banana')).toThrow(InvalidOptionsError);
  });

  it('rejects bad options with InvalidOptionsError naming the option', () => {
    const bad: [object, string][] = [
      [{ dim: 1000 }, 'dim'],
      [{ dim: 8 }, 'dim'],
      [{ wordNgramMax: 3 }, 'wordNgramMax'],
      [{ charNgramMin: 6, charNgramMax: 5 }, 'charNgramMin'],
      [{ charNgramMax: 9 }, 'charNgramMax'],
      [{ wordWeight: -1 }, 'wordWeight'],
      [{ charWeight: Number.NaN }, 'charWeight'],
      [{ lowercase: 'yes' }, 'lowercase'],
      [{ wordNgramMax: 0, charNgramMax: 0 }, 'wordNgramMax'],
    ];
    for (const [opts, option] of bad) {
      let err: unknown;
      try {
        new HashingEmbedder(opts as never);
      } catch (e) {
        err = e;
      }
      expect(InvalidOptionsError.isInstance(err), JSON.stringify(opts)).toBe(true);
      expect((err as InvalidOptionsError).option).toBe(option);
    }
  });

  it('rejects non-string texts and honours an aborted signal', async () => {
    const e = new HashingEmbedder({ dim: 64 });
    await expect(e.embed([42 as unknown as string])).rejects.toThrow(/texts\[0\]/);
    const ac = new AbortController();
    ac.abort();
    await expect(e.embed(['hi'], { signal: ac.signal })).rejects.toSatisfy((err) =>
      AbortedError.isInstance(err),
    );
  });

  it('embeds a thousand chat messages in well under a second', async () => {
    const texts = Array.from(
      { length: 1000 },
      (_, i) => `message number ${i}: how are you doing today? I like turtles 🐢`,
    );
    const t0 = performance.now();
    const out = await new HashingEmbedder().embed(texts);
    expect(out).toHaveLength(1000);
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('reports the same bucket changes from an incremental accumulator as from a one-pass one, across thousands of buckets', () => {
    // The incremental accumulator keeps a cell per touched bucket, grown as buckets are touched: a text touching
    // thousands of buckets (a small dim: many collisions, so one cell's value moves for several n-grams) crosses
    // several growths, and every reported before/after/other value must still be the bucket's own.
    const r = seededRandom(11);
    const words = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}${'xyz'[i % 3]}`);
    const parts = Array.from({ length: 40 }, () =>
      Array.from({ length: 60 }, () => words[Math.floor(r() * r() * words.length)]!).join(' '),
    );
    for (const dim of [1 << 12, 1 << 16]) {
      const e = new HashingEmbedder({ dim });
      const once = e.accumulator();
      const incremental = e.accumulator(true);
      type Change = [number, number, number];
      const record =
        (into: Map<string, Change>) =>
        (block: 0 | 1, b: number, before: number, after: number, other: number) => {
          into.set(`${block}:${b}`, [before, after, other]);
        };
      let cells = 0;
      let worst = 0;
      for (const part of parts) {
        const a = new Map<string, Change>();
        const b = new Map<string, Change>();
        once.add(part, record(a));
        incremental.add(part, record(b));
        // (A bucket whose n-grams' changes cancel may move by a rounding step in one and not the other.)
        for (const k of new Set([...a.keys(), ...b.keys()])) {
          const x = a.get(k);
          const y = b.get(k);
          if (x && y)
            for (let i = 0; i < 3; i++)
              worst = Math.max(worst, Math.abs(y[i]! - x[i]!) / (1 + Math.abs(x[i]!)));
          else {
            const [before, after] = (x ?? y)!;
            worst = Math.max(worst, Math.abs(after - before));
          }
        }
        cells += b.size;
      }
      expect(cells).toBeGreaterThan(4000);
      expect(worst).toBeLessThanOrEqual(1e-12);
      const v = incremental.vector();
      const w = once.vector();
      for (let i = 0; i < dim; i++) worst = Math.max(worst, Math.abs(v[i]! - w[i]!));
      expect(worst).toBeLessThanOrEqual(1e-6);
      incremental.reset();
      once.reset();
      incremental.add(parts[0]!);
      once.add(parts[0]!);
      expect(Array.from(incremental.sparse().indices)).toEqual(Array.from(once.sparse().indices));
    }
  });

  it('accumulates messages into the vector of their joined text, bit for bit, and gives it sparse too', () => {
    for (const o of [
      {},
      { dim: 1024, lowercase: true },
      { charNgramMin: 1, charNgramMax: 3, wordNgramMax: 1 },
    ]) {
      const e = new HashingEmbedder(o);
      const parts = ['Hello ! How are you ?', 'i am fine .\nwhat about you', '😀 ok ok ok', 'Hello again !'];
      const acc = e.accumulator();
      for (let k = 0; k < parts.length; k++) {
        acc.add(parts[k]!);
        const whole = e.embedOne(parts.slice(0, k + 1).join('\n'));
        expect(Array.from(acc.vector())).toEqual(Array.from(whole));
        const sp = e.embedSparse(parts.slice(0, k + 1).join('\n'));
        const dense = new Float32Array(e.dim);
        sp.indices.forEach((j, m) => {
          dense[j] = sp.values[m]!;
        });
        expect(Array.from(dense)).toEqual(Array.from(whole));
        expect([...sp.values].every((v) => v !== 0)).toBe(true);
      }
    }
  });
});

describe('isHashingEmbedder', () => {
  it('recognises a HashingEmbedder, also behind a Proxy, and nothing else', () => {
    const inner = new HashingEmbedder({ dim: 64 });
    const proxied = new Proxy(inner, {});
    expect(isHashingEmbedder(inner)).toBe(true);
    expect(isHashingEmbedder(proxied)).toBe(true);
    expect(isHashingEmbedder({ id: inner.id, dim: 64, embed: inner.embed.bind(inner) })).toBe(false);
    expect(isHashingEmbedder(null)).toBe(false);
  });
});
