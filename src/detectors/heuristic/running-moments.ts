/**
 * The coefficient of variation (population standard deviation / mean) of a growing list of numbers, from
 * running sums: the count, the plain sum (the mean, summed in order as `coefficientOfVariation` of
 * text-utils.ts sums it) and the sums of the numbers shifted by the first one (a numerically stable variance).
 * For integers whose sums stay below 2^53 (message lengths, millisecond delays) every sum is exact.
 */
export class RunningMoments {
  /** How many numbers were added. */
  n = 0;
  private sum = 0;
  private shift = 0;
  private s1 = 0;
  private s2 = 0;

  /** Forgets every number. */
  clear(): void {
    this.n = 0;
    this.sum = 0;
    this.shift = 0;
    this.s1 = 0;
    this.s2 = 0;
  }

  /** Adds one number. */
  add(x: number): void {
    if (this.n === 0) this.shift = x;
    this.n++;
    this.sum += x;
    const d = x - this.shift;
    this.s1 += d;
    this.s2 += d * d;
  }

  /** The coefficient of variation; 0 when the mean is 0 (as `coefficientOfVariation`), NaN when empty. */
  cv(): number {
    const n = this.n;
    const mean = this.sum / n;
    if (mean === 0) return 0;
    const squaredDeviations = (n * this.s2 - this.s1 * this.s1) / n;
    return Math.sqrt(Math.max(0, squaredDeviations) / n) / mean;
  }
}
