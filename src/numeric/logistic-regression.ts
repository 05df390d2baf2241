import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/** Options for {@link fitLogisticRegression}. */
export interface LogisticRegressionOptions {
  /**
   * L2 penalty strength on the weights (the intercept is not penalized). Larger = simpler model.
   * @defaultValue 1
   */
  l2?: number;
  /**
   * Standardize features (zero mean, unit variance) before fitting; the returned model folds the scaling back
   * into its weights, so it applies to raw features.
   * @defaultValue true
   */
  standardize?: boolean;
  /**
   * Most Newton iterations (for up to `newtonMaxFeatures` features) or gradient epochs (above).
   * @defaultValue 100
   */
  maxIter?: number;
  /**
   * Stop when the largest weight change falls below this.
   * @defaultValue 1e-8
   */
  tol?: number;
  /**
   * Per-example weights (e.g. to balance classes). Defaults to 1 for every example.
   */
  sampleWeights?: readonly number[];
  /**
   * Up to this many features the exact Newton (IRLS) solver is used; above it, full-batch gradient descent
   * with Nesterov momentum.
   * @defaultValue 256
   */
  newtonMaxFeatures?: number;
}

/** A fitted logistic regression: P(y=1 | x) = sigmoid(intercept + weights . x). */
export interface LogisticModel {
  /** One weight per feature, applying to raw (unstandardized) features. */
  weights: number[];
  /** The bias term. */
  intercept: number;
}

/** The logistic function, numerically safe for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(p / (1 - p)), with p clipped to [1e-9, 1 - 1e-9]. */
export function logit(p: number): number {
  const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
  return Math.log(q / (1 - q));
}

/** The linear score (log-odds) of `x` under `model`. */
export function decision(model: LogisticModel, x: ArrayLike<number>): number {
  let z = model.intercept;
  const w = model.weights;
  for (let j = 0; j < w.length; j++) z += w[j]! * (x[j] ?? 0);
  return z;
}

/** P(y=1 | x) under `model`. */
export function predictProba(model: LogisticModel, x: ArrayLike<number>): number {
  return sigmoid(decision(model, x));
}

/**
 * Fits an L2-regularized logistic regression. Written here rather than taken from a library because no
 * maintained npm package offers a small, dependency-free, deterministic solver with sample weights; it is the
 * one implementation every botlens component (heuristic weights, stacking, calibration, probing heads) reuses.
 *
 * Minimizes `sum_i w_i * logloss(y_i, p_i) + l2/2 * |w|^2` over standardized features.
 *
 * @param X - rows of features (all the same length)
 * @param y - labels, 0 or 1 (or soft targets in [0, 1], e.g. for distillation)
 * @param options - see {@link LogisticRegressionOptions}
 *
 * @example
 * ```ts
 * const m = fitLogisticRegression([[0], [1], [2], [3]], [0, 0, 1, 1]);
 * predictProba(m, [3]) > 0.5; // true
 * ```
 */
export function fitLogisticRegression(
  X: readonly (readonly number[])[],
  y: readonly number[],
  options: LogisticRegressionOptions = {},
): LogisticModel {
  const n = X.length;
  if (n === 0) throw new InvalidOptionsError('X', 'at least one example is needed to fit');
  if (y.length !== n) throw new InvalidOptionsError('y', `has ${y.length} labels for ${n} rows`);
  const d = X[0]!.length;
  for (let i = 0; i < n; i++) {
    if (X[i]!.length !== d)
      throw new InvalidOptionsError('X', `row ${i} has ${X[i]!.length} features, expected ${d}`);
    const yi = y[i]!;
    if (!(yi >= 0 && yi <= 1))
      throw new InvalidOptionsError('y', `label ${i} is ${yi}; labels must lie in [0, 1]`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(X[i]![j]!))
        throw new InvalidOptionsError('X', `X[${i}][${j}] is not a finite number`);
    }
  }
  const l2 = options.l2 ?? 1;
  const maxIter = options.maxIter ?? 100;
  const tol = options.tol ?? 1e-8;
  const sw = options.sampleWeights ?? new Array<number>(n).fill(1);
  if (sw.length !== n)
    throw new InvalidOptionsError('sampleWeights', `has ${sw.length} entries for ${n} rows`);

  // Standardize.
  const mean = new Float64Array(d);
  const scale = new Float64Array(d).fill(1);
  if (options.standardize ?? true) {
    for (const row of X) for (let j = 0; j < d; j++) mean[j]! += row[j]! / n;
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (const row of X) v += (row[j]! - mean[j]!) ** 2;
      const sd = Math.sqrt(v / n);
      scale[j] = sd > 1e-12 ? sd : 1;
    }
  }
  const Z: Float64Array[] = X.map((row) => {
    const z = new Float64Array(d + 1);
    z[0] = 1;
    for (let j = 0; j < d; j++) z[j + 1] = (row[j]! - mean[j]!) / scale[j]!;
    return z;
  });
  const beta =
    d <= (options.newtonMaxFeatures ?? 256)
      ? newton(Z, y, sw, l2, maxIter, tol)
      : gradient(Z, y, sw, l2, maxIter * 20, tol);

  // Fold the standardization back into raw-feature weights.
  const weights = new Array<number>(d);
  let intercept = beta[0]!;
  for (let j = 0; j < d; j++) {
    weights[j] = beta[j + 1]! / scale[j]!;
    intercept -= (beta[j + 1]! * mean[j]!) / scale[j]!;
  }
  return { weights, intercept };
}

function newton(
  Z: Float64Array[],
  y: readonly number[],
  sw: readonly number[],
  l2: number,
  maxIter: number,
  tol: number,
): Float64Array {
  const p = Z[0]!.length;
  const beta = new Float64Array(p);
  for (let it = 0; it < maxIter; it++) {
    const g = new Float64Array(p);
    const H = new Float64Array(p * p);
    for (let i = 0; i < Z.length; i++) {
      const z = Z[i]!;
      let s = 0;
      for (let j = 0; j < p; j++) s += beta[j]! * z[j]!;
      const mu = sigmoid(s);
      const r = sw[i]! * (mu - y[i]!);
      const w = sw[i]! * Math.max(mu * (1 - mu), 1e-10);
      for (let j = 0; j < p; j++) {
        g[j]! += r * z[j]!;
        const wz = w * z[j]!;
        for (let k = j; k < p; k++) H[j * p + k]! += wz * z[k]!;
      }
    }
    for (let j = 1; j < p; j++) {
      g[j]! += l2 * beta[j]!;
      H[j * p + j]! += l2;
    }
    H[0]! += 1e-9;
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) H[j * p + k] = H[k * p + j]!;
    const step = solveSpd(H, g, p);
    let maxStep = 0;
    for (let j = 0; j < p; j++) {
      beta[j]! -= step[j]!;
      maxStep = Math.max(maxStep, Math.abs(step[j]!));
    }
    if (maxStep < tol) break;
  }
  return beta;
}

function gradient(
  Z: Float64Array[],
  y: readonly number[],
  sw: readonly number[],
  l2: number,
  epochs: number,
  tol: number,
): Float64Array {
  const p = Z[0]!.length;
  const n = Z.length;
  let totalW = 0;
  for (const w of sw) totalW += w;
  // Lipschitz bound of the loss gradient on standardized data: max row norm^2 / 4 + l2.
  let maxNorm = 0;
  for (const z of Z) {
    let s = 0;
    for (let j = 0; j < p; j++) s += z[j]! * z[j]!;
    maxNorm = Math.max(maxNorm, s);
  }
  const lr = 1 / (maxNorm / 4 + l2 / totalW);
  const beta = new Float64Array(p);
  const prev = new Float64Array(p);
  const look = new Float64Array(p);
  for (let ep = 0; ep < epochs; ep++) {
    const mom = ep / (ep + 3);
    for (let j = 0; j < p; j++) look[j] = beta[j]! + mom * (beta[j]! - prev[j]!);
    const g = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      const z = Z[i]!;
      let s = 0;
      for (let j = 0; j < p; j++) s += look[j]! * z[j]!;
      const r = (sw[i]! * (sigmoid(s) - y[i]!)) / totalW;
      for (let j = 0; j < p; j++) g[j]! += r * z[j]!;
    }
    let maxStep = 0;
    for (let j = 0; j < p; j++) {
      const gj = g[j]! + (j > 0 ? (l2 / totalW) * look[j]! : 0);
      const nb = look[j]! - lr * gj;
      maxStep = Math.max(maxStep, Math.abs(nb - beta[j]!));
      prev[j] = beta[j]!;
      beta[j] = nb;
    }
    if (maxStep < tol) break;
  }
  return beta;
}

/** Solves H x = g for symmetric positive-definite H (Cholesky, with a jitter fallback). */
function solveSpd(H: Float64Array, g: Float64Array, p: number): Float64Array {
  for (let jitter = 0; jitter <= 1; jitter = jitter === 0 ? 1e-8 : jitter * 100) {
    const L = new Float64Array(p * p);
    let ok = true;
    for (let i = 0; i < p && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = H[i * p + j]! + (i === j ? jitter : 0);
        for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
        if (i === j) {
          if (s <= 0) {
            ok = false;
            break;
          }
          L[i * p + i] = Math.sqrt(s);
        } else L[i * p + j] = s / L[j * p + j]!;
      }
    }
    if (!ok) continue;
    const z = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let s = g[i]!;
      for (let k = 0; k < i; k++) s -= L[i * p + k]! * z[k]!;
      z[i] = s / L[i * p + i]!;
    }
    const x = new Float64Array(p);
    for (let i = p - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * x[k]!;
      x[i] = s / L[i * p + i]!;
    }
    return x;
  }
  return new Float64Array(p);
}
