import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { csrFromRows, DenseDesign, type DesignMatrix, SparseDesign } from './design-matrix.js';
import { sigmoid } from './logistic-function.js';
import { type LogisticSolution, solveLogistic } from './logistic-solver.js';

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
   * Most Newton iterations (each with a line search; a few to a few dozen are typical).
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
   * Per-feature factors on the L2 penalty (one positive number per feature; {@link fitLogisticRegression}
   * only): feature j's (standardized) weight is penalized by `l2 * l2Scale[j]`, so a block of many weak features
   * can be held closer to 0 than the rest.
   * @defaultValue 1 for every feature
   */
  l2Scale?: readonly number[];
  /**
   * Up to this many features each Newton step is solved exactly (the Hessian is formed and factored); above it,
   * by conjugate gradients on Hessian-vector products (truncated Newton), which never forms the Hessian.
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

export { sigmoid };

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
 * Fits an L2-regularized logistic regression on dense rows, by the Newton solver in `logistic-solver.ts`
 * (the one solver every botlens fit uses: heuristic weights, stacking, calibration, probing heads, the
 * embedding detector's probe on sparse hashed rows, distillation students).
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
  checkTargets(n, y, options);
  const d = X[0]!.length;
  for (let i = 0; i < n; i++) {
    if (X[i]!.length !== d)
      throw new InvalidOptionsError('X', `row ${i} has ${X[i]!.length} features, expected ${d}`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(X[i]![j]!))
        throw new InvalidOptionsError('X', `X[${i}][${j}] is not a finite number`);
    }
  }

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
  // A larger penalty on feature j is the same fit on that column shrunk by 1/sqrt(factor), folded back below.
  if (options.l2Scale !== undefined) {
    const f = options.l2Scale;
    if (f.length !== d || f.some((v) => !(Number.isFinite(v) && v > 0)))
      throw new InvalidOptionsError('l2Scale', `expected ${d} positive finite numbers, one per feature`);
    for (let j = 0; j < d; j++) scale[j] = scale[j]! * Math.sqrt(f[j]!);
  }
  const Z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = X[i]!;
    for (let j = 0; j < d; j++) Z[i * d + j] = (row[j]! - mean[j]!) / scale[j]!;
  }
  const fit = solveWithDefaults(new DenseDesign(Z, n, d), y, options);
  const beta = fit.weights;

  // Fold the standardization back into raw-feature weights.
  const weights = new Array<number>(d);
  let intercept = fit.intercept;
  for (let j = 0; j < d; j++) {
    weights[j] = beta[j]! / scale[j]!;
    intercept -= (beta[j]! * mean[j]!) / scale[j]!;
  }
  return { weights, intercept };
}

/** A row of {@link fitSparseLogisticRegression}: its non-zero positions (ascending) and values. */
export interface SparseRow {
  /** Positions of the non-zero entries, ascending. */
  indices: ArrayLike<number>;
  /** The entries at those positions. */
  values: ArrayLike<number>;
}

/**
 * {@link fitLogisticRegression} for rows given as their non-zeros (hashed text: thousands of columns, a few
 * hundred non-zeros per row). The same model and options; standardization is applied inside the solver's
 * products, so the rows are never densified, and a fit costs a few dozen passes over the non-zeros.
 *
 * @param rows - sparse rows, positions below `dim`
 * @param dim - number of features
 * @param y - labels in [0, 1]
 * @param options - see {@link LogisticRegressionOptions}
 *
 * @example
 * ```ts
 * const m = fitSparseLogisticRegression([{ indices: [0], values: [1] }, { indices: [1], values: [1] }], 2, [1, 0]);
 * m.weights[0] > m.weights[1]; // true
 * ```
 */
export function fitSparseLogisticRegression(
  rows: readonly SparseRow[],
  dim: number,
  y: readonly number[],
  options: LogisticRegressionOptions = {},
): LogisticModel {
  const n = rows.length;
  checkTargets(n, y, options);
  if (!Number.isInteger(dim) || dim < 1)
    throw new InvalidOptionsError('dim', `expected a positive integer, got ${describeValue(dim)}`);
  for (let i = 0; i < n; i++) {
    const { indices, values } = rows[i]!;
    if (indices.length !== values.length)
      throw new InvalidOptionsError(
        'X',
        `row ${i} has ${indices.length} positions and ${values.length} values`,
      );
    for (let k = 0; k < indices.length; k++) {
      const j = indices[k]!;
      if (!Number.isInteger(j) || j < 0 || j >= dim || (k > 0 && j <= indices[k - 1]!))
        throw new InvalidOptionsError('X', `row ${i} has position ${j}: positions must ascend below ${dim}`);
      if (!Number.isFinite(values[k]!))
        throw new InvalidOptionsError('X', `X[${i}][${j}] is not a finite number`);
    }
  }
  const csr = csrFromRows(rows, dim);
  let mean: Float64Array | undefined;
  let inv: Float64Array | undefined;
  if (options.standardize ?? true) {
    mean = new Float64Array(dim);
    const sq = new Float64Array(dim);
    for (let k = 0; k < csr.indices.length; k++) {
      const v = csr.values[k]!;
      mean[csr.indices[k]!]! += v / n;
      sq[csr.indices[k]!]! += (v * v) / n;
    }
    inv = new Float64Array(dim);
    for (let j = 0; j < dim; j++) {
      const sd = Math.sqrt(Math.max(0, sq[j]! - mean[j]! * mean[j]!));
      inv[j] = sd > 1e-12 ? 1 / sd : 1;
    }
  }
  const fit = solveWithDefaults(
    new SparseDesign(csr, { ...(mean && { center: mean }), ...(inv && { colScale: inv }) }),
    y,
    options,
  );
  const weights = new Array<number>(dim);
  let intercept = fit.intercept;
  for (let j = 0; j < dim; j++) {
    const s = inv ? inv[j]! : 1;
    weights[j] = fit.weights[j]! * s;
    if (mean) intercept -= fit.weights[j]! * s * mean[j]!;
  }
  return { weights, intercept };
}

/** What both fits require of the row count, the labels and the sample weights. */
function checkTargets(n: number, y: readonly number[], options: LogisticRegressionOptions): void {
  if (n === 0) throw new InvalidOptionsError('X', 'at least one example is needed to fit');
  if (y.length !== n) throw new InvalidOptionsError('y', `has ${y.length} labels for ${n} rows`);
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    if (!(yi >= 0 && yi <= 1))
      throw new InvalidOptionsError('y', `label ${i} is ${yi}; labels must lie in [0, 1]`);
  }
  const sw = options.sampleWeights;
  if (sw !== undefined && sw.length !== n)
    throw new InvalidOptionsError('sampleWeights', `has ${sw.length} entries for ${n} rows`);
}

/** The shared solver with the documented defaults of {@link LogisticRegressionOptions}. */
function solveWithDefaults(
  X: DesignMatrix,
  y: readonly number[],
  options: LogisticRegressionOptions,
): LogisticSolution {
  return solveLogistic(X, y, {
    l2: options.l2 ?? 1,
    maxIter: options.maxIter ?? 100,
    tol: options.tol ?? 1e-8,
    sampleWeights: options.sampleWeights,
    newtonMaxFeatures: options.newtonMaxFeatures,
  });
}
