import type { DesignMatrix } from './design-matrix.js';
import { sigmoid, softplus } from './logistic-function.js';

/** Settings of {@link solveLogistic}. @internal */
export interface LogisticSolverOptions {
  /** L2 penalty on the weights (not the intercept). */
  l2: number;
  /** Most Newton iterations. */
  maxIter: number;
  /** Stop when the largest change of a weight in one step falls below this. */
  tol: number;
  /**
   * Also stop once the gradient's norm falls below this fraction of its norm at the start (liblinear's
   * criterion, whose default is 0.01); 0 = only `tol` and `maxIter` stop.
   */
  relGradTol?: number | undefined;
  /** Per-row weights; 1 when omitted. */
  sampleWeights?: ArrayLike<number> | undefined;
  /** Up to this many columns, dense designs take exact Newton steps (Hessian formed and factored). */
  newtonMaxFeatures?: number | undefined;
  /**
   * With `init`, measure `relGradTol` against the gradient at zero weights (where a cold solve starts) rather
   * than at `init`: a warm start then stops at the same gradient norm as a cold solve, i.e. at the same optimum
   * within the same tolerance, in fewer steps. Costs one extra pass over the design.
   */
  relGradFromZero?: boolean | undefined;
  /** Starting point (warm start), e.g. the solution on a neighbouring fold. */
  init?: { weights: ArrayLike<number>; intercept: number } | undefined;
}

/** A solution of {@link solveLogistic}. @internal */
export interface LogisticSolution {
  /** One weight per column. */
  weights: Float64Array;
  /** The bias term. */
  intercept: number;
  /** Newton iterations taken. */
  iterations: number;
}

/** Ridge on the (unpenalized) intercept's curvature, so the Newton system is never singular. */
const INTERCEPT_RIDGE = 1e-9;
/** Most conjugate-gradient steps per Newton iteration. */
const MAX_CG = 250;

/**
 * Minimizes `sum_i s_i * logloss(y_i, sigmoid(x_i . w + b)) + l2/2 * |w|^2` by Newton's method with a
 * backtracking line search: the truncated-Newton (Newton-CG) scheme of liblinear's trust-region solver, with the
 * Newton system solved by conjugate gradients on Hessian-vector products (two passes over the non-zeros per
 * step), or exactly by Cholesky when the design is dense and has at most `newtonMaxFeatures` columns. Labels may
 * be soft (in [0, 1]). Converges in a handful of iterations (quadratically near the optimum) whatever the
 * conditioning, which plain gradient descent does not.
 *
 * Written by hand: no maintained npm package offers a dependency-free, deterministic L2 logistic regression on
 * sparse rows with sample weights and warm starts.
 *
 * @param X - the design (dense or sparse rows)
 * @param y - targets in [0, 1], one per row
 * @param o - penalty, iteration limits, sample weights, warm start
 *
 * @internal
 */
export function solveLogistic(
  X: DesignMatrix,
  y: ArrayLike<number>,
  o: LogisticSolverOptions,
): LogisticSolution {
  const n = X.rows;
  const d = X.cols;
  const sw = o.sampleWeights;
  const l2 = o.l2;
  const w = new Float64Array(d);
  let b = 0;
  if (o.init) {
    for (let j = 0; j < d; j++) w[j] = o.init.weights[j] ?? 0;
    b = o.init.intercept;
  }
  const z = new Float64Array(n);
  const r = new Float64Array(n);
  const D = new Float64Array(n);
  const g = new Float64Array(d);
  const p = new Float64Array(d);
  const Xp = new Float64Array(n);
  const exact = X.addWeightedGram !== undefined && d <= (o.newtonMaxFeatures ?? 256);
  // Scratch of every iteration, allocated once per solve (each is overwritten before it is read).
  const zNew = new Float64Array(n);
  const cg = exact ? undefined : cgScratch(d);

  const objective = (zz: Float64Array, ww: Float64Array, alpha: number, pp: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const s = sw ? sw[i]! : 1;
      if (s === 0) continue;
      const zi = zz[i]!;
      f += s * (softplus(zi) - y[i]! * zi);
    }
    let ww2 = 0;
    for (let j = 0; j < d; j++) {
      const v = ww[j]! + alpha * pp[j]!;
      ww2 += v * v;
    }
    return f + 0.5 * l2 * ww2;
  };

  // From zero weights (no warm start) every row's product is 0: no pass over the design needed.
  if (o.init) X.times(w, z);
  for (let i = 0; i < n; i++) z[i]! += b;
  const zero = new Float64Array(d);
  let f = objective(z, w, 0, zero);
  let iterations = 0;
  // A warm start measures `relGradTol` against the gradient at zero weights, where a cold solve starts, so that
  // both stop at the same gradient norm (the same tolerance), not at one relative to an already small gradient.
  // The gradient [g; gb] at rows' products `zz` and weights `ww` (and the curvature weights D); returns its
  // squared norm. With `squares` (a conjugate-gradient step follows), the design's one-pass product also
  // writes the Hessian's diagonal X^T D X for the preconditioner into `cg.pre`.
  let gb = 0;
  // Whether each Newton step's gradient also writes the preconditioner's diagonal (one pass over the design).
  const fused = cg !== undefined && X.timesTransposedAndSquares !== undefined;
  const gradient = (zz: Float64Array, ww: Float64Array, squares = false): number => {
    gb = 0;
    for (let i = 0; i < n; i++) {
      const s = sw ? sw[i]! : 1;
      const mu = sigmoid(zz[i]!);
      r[i] = s * (mu - y[i]!);
      D[i] = s * Math.max(mu * (1 - mu), 1e-10);
      gb += r[i]!;
    }
    if (squares && fused) X.timesTransposedAndSquares!(r, g, D, cg!.pre);
    else X.timesTransposed(r, g);
    let gnorm2 = gb * gb;
    for (let j = 0; j < d; j++) {
      g[j]! += l2 * ww[j]!;
      gnorm2 += g[j]! * g[j]!;
    }
    return gnorm2;
  };
  let gnorm0 = o.init && o.relGradTol && o.relGradFromZero ? gradient(new Float64Array(n), zero) : -1;
  const relGradTol = o.relGradTol ?? 0;
  for (let it = 0; it < o.maxIter; it++) {
    iterations = it + 1;
    const gnorm2 = gradient(z, w, true);
    if (!(gnorm2 > 1e-30)) break;
    if (gnorm0 < 0) gnorm0 = gnorm2;
    else if (gnorm2 <= relGradTol * relGradTol * gnorm0) break;
    // Newton direction: H [p; pb] = -[g; gb].
    const sys: NewtonSystem = { X, D, g, gb, l2 };
    const pb = exact ? exactDirection(sys, p) : cgDirection(sys, p, Xp, gnorm2, cg!, fused);
    // Line search along the direction: z moves by alpha * (X p + pb), cheap to re-evaluate.
    X.times(p, Xp);
    for (let i = 0; i < n; i++) Xp[i]! += pb;
    let slope = gb * pb;
    for (let j = 0; j < d; j++) slope += g[j]! * p[j]!;
    if (!(slope < 0)) break;
    let alpha = 1;
    let fNew = f;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) zNew[i] = z[i]! + alpha * Xp[i]!;
      fNew = objective(zNew, w, alpha, p);
      if (fNew <= f + 1e-4 * alpha * slope) break;
      alpha *= 0.5;
    }
    if (!(fNew <= f)) break;
    let maxStep = Math.abs(alpha * pb);
    for (let j = 0; j < d; j++) {
      const step = alpha * p[j]!;
      w[j]! += step;
      if (Math.abs(step) > maxStep) maxStep = Math.abs(step);
    }
    b += alpha * pb;
    z.set(zNew);
    const decrease = f - fNew;
    f = fNew;
    if (maxStep < o.tol || decrease <= 1e-15 * Math.max(1, Math.abs(f))) break;
  }
  return { weights: w, intercept: b, iterations };
}

/**
 * The Newton system `H [p; pb] = -[g; gb]` of one iteration, with `H = X^T D X + l2 I` (the intercept's row and
 * column from the same products with a column of ones, plus a tiny ridge).
 */
interface NewtonSystem {
  X: DesignMatrix;
  /** Curvature weight of each row. */
  D: Float64Array;
  /** Gradient of the weights. */
  g: Float64Array;
  /** Gradient of the intercept. */
  gb: number;
  l2: number;
}

/** Exact Newton direction for small dense designs; returns the intercept's component, writes the rest to p. */
function exactDirection({ X, D, g, gb, l2 }: NewtonSystem, p: Float64Array): number {
  const d = X.cols;
  const q = d + 1;
  const H = new Float64Array(q * q);
  X.addWeightedGram!(D, H);
  for (let j = 0; j < d; j++) H[j * q + j]! += l2;
  H[d * q + d]! += INTERCEPT_RIDGE;
  const rhs = new Float64Array(q);
  for (let j = 0; j < d; j++) rhs[j] = -g[j]!;
  rhs[d] = -gb;
  const x = solveSpd(H, rhs, q);
  for (let j = 0; j < d; j++) p[j] = x[j]!;
  return x[d]!;
}

/** The vectors of {@link cgDirection}, one column-length array each: H s, the preconditioner, r, z and s. */
interface CgScratch {
  hv: Float64Array;
  pre: Float64Array;
  res: Float64Array;
  z: Float64Array;
  s: Float64Array;
}

function cgScratch(d: number): CgScratch {
  const v = () => new Float64Array(d);
  return { hv: v(), pre: v(), res: v(), z: v(), s: v() };
}

/**
 * Truncated Newton direction by conjugate gradients on Hessian-vector products, preconditioned by the Hessian's
 * diagonal, stopped at a relative residual of min(0.5, sqrt(|g|)) (the forcing term of inexact Newton methods).
 * Returns the intercept's component.
 *
 * @param squared - whether `pre` already holds `X^T D X`'s diagonal (written with the gradient)
 */
function cgDirection(
  { X, D, g, gb, l2 }: NewtonSystem,
  p: Float64Array,
  scratchN: Float64Array,
  gnorm2: number,
  { hv, pre, res, z, s }: CgScratch,
  squared: boolean,
): number {
  const d = X.cols;
  const n = X.rows;
  // Jacobi preconditioner: inverse of diag(H).
  if (!squared) X.weightedSquares(D, pre);
  for (let j = 0; j < d; j++) pre[j] = 1 / (pre[j]! + l2 + 1e-12);
  let dB = INTERCEPT_RIDGE;
  for (let i = 0; i < n; i++) dB += D[i]!;
  const preB = 1 / dB;
  // Residual res = -g - H p (p starts at 0), preconditioned residual z, search direction s.
  let rz = 0;
  for (let j = 0; j < d; j++) {
    res[j] = -g[j]!;
    z[j] = pre[j]! * res[j]!;
    s[j] = z[j]!;
    rz += res[j]! * z[j]!;
  }
  let resB = -gb;
  let zB = preB * resB;
  let sB = zB;
  rz += resB * zB;
  p.fill(0);
  let pB = 0;
  let rr = gnorm2;
  const stop = Math.min(0.5, Math.sqrt(Math.sqrt(gnorm2))) ** 2 * gnorm2;
  for (let k = 0; k < MAX_CG && rr > stop; k++) {
    // hv = H s = X^T D (X s + sB) + l2 s; intercept row: sum D (X s + sB) + ridge sB.
    X.times(s, scratchN);
    let hB = INTERCEPT_RIDGE * sB;
    for (let i = 0; i < n; i++) {
      const v = D[i]! * (scratchN[i]! + sB);
      scratchN[i] = v;
      hB += v;
    }
    X.timesTransposed(scratchN, hv);
    let sHs = sB * hB;
    for (let j = 0; j < d; j++) {
      hv[j]! += l2 * s[j]!;
      sHs += s[j]! * hv[j]!;
    }
    if (!(sHs > 0)) {
      if (k === 0) {
        p.set(z);
        pB = zB;
      }
      break;
    }
    const a = rz / sHs;
    let rrNew = 0;
    let rzNew = 0;
    for (let j = 0; j < d; j++) {
      p[j]! += a * s[j]!;
      res[j]! -= a * hv[j]!;
      z[j] = pre[j]! * res[j]!;
      rrNew += res[j]! * res[j]!;
      rzNew += res[j]! * z[j]!;
    }
    pB += a * sB;
    resB -= a * hB;
    zB = preB * resB;
    rrNew += resB * resB;
    rzNew += resB * zB;
    const beta = rzNew / rz;
    for (let j = 0; j < d; j++) s[j] = z[j]! + beta * s[j]!;
    sB = zB + beta * sB;
    rr = rrNew;
    rz = rzNew;
  }
  return pB;
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
