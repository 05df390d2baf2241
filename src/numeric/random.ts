/**
 * A small seeded pseudo-random generator (mulberry32): the same seed always gives the same sequence, so fold
 * splits, weight initialisations and samples are reproducible. Not for cryptography.
 *
 * @param seed - any integer
 * @returns a function giving numbers in [0, 1)
 *
 * @example
 * ```ts
 * const rand = seededRandom(42);
 * rand(); // same value on every run
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Shuffles `items` in place (Fisher-Yates) with numbers from `random`, and returns them.
 *
 * @param items - the array to shuffle (modified)
 * @param random - numbers in [0, 1), e.g. from {@link seededRandom}
 * @example
 * ```ts
 * shuffle([1, 2, 3, 4], seededRandom(1)); // the same order on every run
 * ```
 *
 * @internal
 */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Normal(0, std) numbers from a uniform generator (Box-Muller): each pair of uniform draws gives two values,
 * `r cos(2 pi v)` then `r sin(2 pi v)` with `r = sqrt(-2 ln u) * std`.
 *
 * @param uniform - numbers in [0, 1), e.g. from {@link seededRandom}
 * @param std - standard deviation (default 1)
 * @returns a function giving one normal number per call
 *
 * @example
 * ```ts
 * const normal = gaussianRandom(seededRandom(7), 0.02);
 * const w = Float32Array.from({ length: 4 }, normal);
 * ```
 *
 * @internal
 */
export function gaussianRandom(uniform: () => number, std = 1): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(uniform(), 1e-12);
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}
