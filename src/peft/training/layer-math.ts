/**
 * The elementwise and per-row kernels of the top-layer passes: exact GELU (and its derivative) through `erf`,
 * linear layers, layer norms and the LoRA low-rank input, each with its backward step, in float64.
 *
 * @module
 */
import type { Activation, LayerNormWeights, LinearWeights } from './top-layer-weights.js';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * The error function to double precision, from its everywhere-convergent series
 * erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!! (all terms positive, so no cancellation).
 * JavaScript has no `Math.erf`; the exact GELU of BERT needs it.
 *
 * @param x - the argument
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  const x2 = ax * ax;
  for (let n = 1; n < 400; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

export function act(kind: Activation, z: number): number {
  if (kind === 'relu') return Math.max(z, 0);
  if (kind === 'gelu') return 0.5 * z * (1 + erf(z * SQRT1_2));
  const c = Math.sqrt(2 / Math.PI);
  return 0.5 * z * (1 + Math.tanh(c * (z + 0.044715 * z * z * z)));
}

export function actGrad(kind: Activation, z: number): number {
  if (kind === 'relu') return z > 0 ? 1 : 0;
  if (kind === 'gelu') return 0.5 * (1 + erf(z * SQRT1_2)) + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z);
  const c = Math.sqrt(2 / Math.PI);
  const inner = c * (z + 0.044715 * z * z * z);
  const t = Math.tanh(inner);
  return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z);
}

/** y = W x + b for one vector. */
export function linear(
  l: LinearWeights,
  x: ArrayLike<number>,
  out = new Float64Array(l.outFeatures),
): Float64Array {
  const { inFeatures: I, outFeatures: O, weight: w, bias: b } = l;
  for (let o = 0; o < O; o++) {
    let s = b[o]!;
    const row = o * I;
    for (let i = 0; i < I; i++) s += w[row + i]! * x[i]!;
    out[o] = s;
  }
  return out;
}

/** dx += W^T dy for one vector. */
export function linearBackInput(l: LinearWeights, dy: ArrayLike<number>, dx: Float64Array): void {
  const { inFeatures: I, outFeatures: O, weight: w } = l;
  for (let o = 0; o < O; o++) {
    const d = dy[o]!;
    if (d === 0) continue;
    const row = o * I;
    for (let i = 0; i < I; i++) dx[i]! += w[row + i]! * d;
  }
}

export function layerNorm(
  a: Float64Array,
  ln: LayerNormWeights,
): { y: Float64Array; xh: Float64Array; rstd: number } {
  const n = a.length;
  let mu = 0;
  for (let i = 0; i < n; i++) mu += a[i]!;
  mu /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (a[i]! - mu) ** 2;
  v /= n;
  const rstd = 1 / Math.sqrt(v + ln.eps);
  const xh = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xh[i] = (a[i]! - mu) * rstd;
    y[i] = ln.gamma[i]! * xh[i]! + ln.beta[i]!;
  }
  return { y, xh, rstd };
}

export function layerNormBack(
  dy: Float64Array,
  xh: Float64Array,
  rstd: number,
  ln: LayerNormWeights,
): Float64Array {
  const n = dy.length;
  const dxh = new Float64Array(n);
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    dxh[i] = dy[i]! * ln.gamma[i]!;
    m1 += dxh[i]!;
    m2 += dxh[i]! * xh[i]!;
  }
  m1 /= n;
  m2 /= n;
  const da = new Float64Array(n);
  for (let i = 0; i < n; i++) da[i] = rstd * (dxh[i]! - m1 - xh[i]! * m2);
  return da;
}

/** U = X A^T, [T, r]: the rank-r input of a key/value LoRA for every token. */
export function lowRankInput(
  x: Float32Array,
  T: number,
  H: number,
  r: number,
  A: Float64Array,
): Float64Array {
  const U = new Float64Array(T * r);
  for (let j = 0; j < T; j++) {
    const xr = j * H;
    for (let k = 0; k < r; k++) {
      let acc = 0;
      const ar = k * H;
      for (let i = 0; i < H; i++) acc += A[ar + i]! * x[xr + i]!;
      U[j * r + k] = acc;
    }
  }
  return U;
}
