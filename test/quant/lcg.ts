/**
 * A tiny seeded linear congruential generator for test weights: numbers in [-0.5, 0.5), the same for a seed
 * on every run.
 *
 * @param seed - any integer
 */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
