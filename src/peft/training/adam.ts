/** Options for {@link Adam}. */
export interface AdamOptions {
  /**
   * Step size.
   * @defaultValue 1e-3
   */
  learningRate?: number;
  /**
   * Decay of the first-moment estimate.
   * @defaultValue 0.9
   */
  beta1?: number;
  /**
   * Decay of the second-moment estimate.
   * @defaultValue 0.999
   */
  beta2?: number;
  /**
   * Added to the root of the second moment.
   * @defaultValue 1e-8
   */
  epsilon?: number;
  /**
   * Decoupled weight decay (AdamW); 0 for plain Adam.
   * @defaultValue 0
   */
  weightDecay?: number;
}

/**
 * The Adam optimizer (Kingma & Ba, 2015) with bias correction and optional decoupled weight decay (AdamW),
 * over a fixed list of float64 parameter arrays. A few lines of arithmetic, kept here rather than taken from a
 * tensor library, so training needs no native dependency.
 *
 * @example
 * ```ts
 * const opt = new Adam([weights], { learningRate: 1e-3 });
 * opt.step([gradients]); // weights -= update
 * ```
 */
export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;
  private readonly lr: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;

  /**
   * @param params - the arrays to update in place
   * @param options - see {@link AdamOptions}
   */
  constructor(
    private readonly params: Float64Array[],
    options: AdamOptions = {},
  ) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
    this.lr = options.learningRate ?? 1e-3;
    this.b1 = options.beta1 ?? 0.9;
    this.b2 = options.beta2 ?? 0.999;
    this.eps = options.epsilon ?? 1e-8;
    this.wd = options.weightDecay ?? 0;
  }

  /**
   * Applies one update.
   *
   * @param grads - one gradient array per parameter array, same lengths
   */
  step(grads: Float64Array[]): void {
    this.t++;
    const c1 = 1 - this.b1 ** this.t;
    const c2 = 1 - this.b2 ** this.t;
    for (let a = 0; a < this.params.length; a++) {
      const p = this.params[a]!;
      const g = grads[a]!;
      const m = this.m[a]!;
      const v = this.v[a]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        m[i] = this.b1 * m[i]! + (1 - this.b1) * gi;
        v[i] = this.b2 * v[i]! + (1 - this.b2) * gi * gi;
        const update = m[i]! / c1 / (Math.sqrt(v[i]! / c2) + this.eps);
        p[i] = p[i]! - this.lr * (update + this.wd * p[i]!);
      }
    }
  }
}
