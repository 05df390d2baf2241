/**
 * Forward and backward passes of the top encoder layer of a BERT sequence classifier, with LoRA on its
 * query/key/value projections, the (frozen) pooler and a trainable classification head, in plain TypeScript.
 *
 * Only the [CLS] token's output of the top layer reaches the pooler, so the layer is computed for that one
 * query: keys and values for every token, attention, the feed-forward block and both layer norms for [CLS]
 * alone. The frozen key/value projections of every token come precomputed from ONNX Runtime (see
 * `BertTrunk`); what changes while training costs O(tokens x hidden x rank) per example.
 *
 * Parameters and intermediates are float64 so finite-difference gradient checks are exact to ~1e-9.
 *
 * @module
 */

import {
  act,
  actGrad,
  layerNorm,
  layerNormBack,
  linear,
  linearBackInput,
  lowRankInput,
} from './layer-math.js';
import type {
  ExampleFeatures,
  ForwardCache,
  Gradients,
  LoraTarget,
  TopLayerWeights,
  TrainableParams,
} from './top-layer-weights.js';

/**
 * Logits of one example: the top layer for [CLS], the pooler, and the classifier, with LoRA applied.
 *
 * @param w - frozen weights
 * @param p - trainable parameters
 * @param ex - the example's features
 * @returns the logits and what the backward pass needs
 */
export function forward(w: TopLayerWeights, p: TrainableParams, ex: ExampleFeatures): ForwardCache {
  if (p.A.query || p.A.key || p.A.value) return forwardFull(w, p, ex);
  // Without LoRA everything below the head is frozen: compute it once per example and reuse it.
  let byExample = frozenForwards.get(w);
  if (!byExample) {
    byExample = new WeakMap();
    frozenForwards.set(w, byExample);
  }
  let base = byExample.get(ex);
  if (!base) {
    base = forwardFull(w, p, ex);
    byExample.set(ex, base);
  }
  return { ...base, logits: headLogits(p, base.pooled) };
}

/** Frozen forward passes (no LoRA) by weights and example; weights and features are never mutated. */
const frozenForwards = new WeakMap<TopLayerWeights, WeakMap<ExampleFeatures, ForwardCache>>();

function headLogits(p: TrainableParams, pooled: Float64Array): Float64Array {
  const C = p.classifierBias.length;
  const logits = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let acc = p.classifierBias[c]!;
    for (let i = 0; i < pooled.length; i++) acc += p.classifierWeight[c * pooled.length + i]! * pooled[i]!;
    logits[c] = acc;
  }
  return logits;
}

function forwardFull(w: TopLayerWeights, p: TrainableParams, ex: ExampleFeatures): ForwardCache {
  const H = w.hidden;
  const nh = w.heads;
  const dh = H / nh;
  const T = ex.tokens;
  const { r, scaling: s } = p;
  const x0 = ex.x.subarray(0, H);
  const u: ForwardCache['u'] = {};
  const q = linear(w.query, x0);
  if (p.A.query && p.B.query) {
    const uq = new Float64Array(r);
    for (let k = 0; k < r; k++) {
      let acc = 0;
      for (let i = 0; i < H; i++) acc += p.A.query[k * H + i]! * x0[i]!;
      uq[k] = acc;
    }
    for (let o = 0; o < H; o++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += p.B.query[o * r + k]! * uq[k]!;
      q[o]! += s * acc;
    }
    u.query = uq;
  }
  // Keys and values keep their low-rank form: K_j = K0_j + s B_k U_j, never materialised (likewise V).
  const Ak = p.A.key;
  const Bk = p.B.key;
  const Av = p.A.value;
  const Bv = p.B.value;
  const Uk = Ak && Bk ? lowRankInput(ex.x, T, H, r, Ak) : undefined;
  const Uv = Av && Bv ? lowRankInput(ex.x, T, H, r, Av) : undefined;
  if (Uk) u.key = Uk;
  if (Uv) u.value = Uv;
  const k0 = ex.k0;
  const v0 = ex.v0;
  const scale = 1 / Math.sqrt(dh);
  const P = new Float64Array(nh * T);
  const ctx = new Float64Array(H);
  const cq = Uk ? new Float64Array(nh * r) : undefined;
  const pu = Uv ? new Float64Array(nh * r) : undefined;
  for (let h = 0; h < nh; h++) {
    const off = h * dh;
    if (cq && Bk) {
      for (let k = 0; k < r; k++) {
        let acc = 0;
        for (let d = 0; d < dh; d++) acc += Bk[(off + d) * r + k]! * q[off + d]!;
        cq[h * r + k] = acc;
      }
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < T; j++) {
      const acc = lowRankDot(q, off, k0, j * H + off, dh, cq && Uk, cq, h * r, j * r, r, s);
      const sc = acc * scale;
      P[h * T + j] = sc;
      if (sc > max) max = sc;
    }
    let zsum = 0;
    for (let j = 0; j < T; j++) {
      const e = Math.exp(P[h * T + j]! - max);
      P[h * T + j] = e;
      zsum += e;
    }
    for (let j = 0; j < T; j++) {
      const pj = P[h * T + j]! / zsum;
      P[h * T + j] = pj;
      const vr = j * H + off;
      for (let d = 0; d < dh; d++) ctx[off + d]! += pj * v0[vr + d]!;
      if (pu && Uv) for (let k = 0; k < r; k++) pu[h * r + k]! += pj * Uv[j * r + k]!;
    }
    if (pu && Bv) {
      for (let d = 0; d < dh; d++) {
        let acc = 0;
        for (let k = 0; k < r; k++) acc += Bv[(off + d) * r + k]! * pu[h * r + k]!;
        ctx[off + d]! += s * acc;
      }
    }
  }
  const a = linear(w.attentionOut, ctx);
  for (let i = 0; i < H; i++) a[i]! += x0[i]!;
  const ln1 = layerNorm(a, w.ln1);
  const h1 = ln1.y;
  const z = linear(w.intermediate, h1);
  const g = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) g[i] = act(w.activation, z[i]!);
  const b = linear(w.output, g);
  for (let i = 0; i < H; i++) b[i]! += h1[i]!;
  const ln2 = layerNorm(b, w.ln2);
  const pre = linear(w.pooler, ln2.y);
  const pooled = new Float64Array(pre.length);
  for (let i = 0; i < pre.length; i++) pooled[i] = Math.tanh(pre[i]!);
  return {
    logits: headLogits(p, pooled),
    q,
    u,
    cq,
    pu,
    P,
    ctx,
    xh1: ln1.xh,
    rstd1: ln1.rstd,
    h1,
    z,
    g,
    xh2: ln2.xh,
    rstd2: ln2.rstd,
    pooled,
  };
}

/**
 * Adds d(loss)/d(params) for one example to `grads`, given d(loss)/d(logits).
 *
 * @param w - frozen weights
 * @param p - trainable parameters (as used in the forward pass)
 * @param ex - the example
 * @param f - the forward cache
 * @param dlogits - gradient of the loss with respect to the logits
 * @param grads - accumulated in place
 */
export function backward(
  w: TopLayerWeights,
  p: TrainableParams,
  ex: ExampleFeatures,
  f: ForwardCache,
  dlogits: ArrayLike<number>,
  grads: Gradients,
): void {
  const H = w.hidden;
  const nh = w.heads;
  const dh = H / nh;
  const T = ex.tokens;
  const { r, scaling: s } = p;
  const C = p.classifierBias.length;
  const Pd = f.pooled.length;
  const dpooled = new Float64Array(Pd);
  for (let c = 0; c < C; c++) {
    const d = dlogits[c]!;
    grads.classifierBias[c]! += d;
    for (let i = 0; i < Pd; i++) {
      grads.classifierWeight[c * Pd + i]! += d * f.pooled[i]!;
      dpooled[i]! += p.classifierWeight[c * Pd + i]! * d;
    }
  }
  if (!p.A.query && !p.A.key && !p.A.value) return;
  const dpre = new Float64Array(Pd);
  for (let i = 0; i < Pd; i++) dpre[i] = dpooled[i]! * (1 - f.pooled[i]! * f.pooled[i]!);
  const dy = new Float64Array(H);
  linearBackInput(w.pooler, dpre, dy);
  const db = layerNormBack(dy, f.xh2, f.rstd2, w.ln2);
  const dg = new Float64Array(f.g.length);
  linearBackInput(w.output, db, dg);
  const dz = new Float64Array(f.z.length);
  for (let i = 0; i < dz.length; i++) dz[i] = dg[i]! * actGrad(w.activation, f.z[i]!);
  const dh1 = Float64Array.from(db);
  linearBackInput(w.intermediate, dz, dh1);
  const da = layerNormBack(dh1, f.xh1, f.rstd1, w.ln1);
  const dctx = new Float64Array(H);
  linearBackInput(w.attentionOut, da, dctx);
  const scale = 1 / Math.sqrt(dh);
  const dq = new Float64Array(H);
  const k0 = ex.k0;
  const v0 = ex.v0;
  const Bk = p.B.key;
  const Bv = p.B.value;
  const Uk = f.u.key;
  const Uv = f.u.value;
  const gBk = grads.B.key;
  const gBv = grads.B.value;
  const dUk = Uk ? new Float64Array(T * r) : undefined;
  const dUv = Uv ? new Float64Array(T * r) : undefined;
  const dP = new Float64Array(T);
  const gv = new Float64Array(r);
  const zk = new Float64Array(r);
  for (let h = 0; h < nh; h++) {
    const off = h * dh;
    // Value LoRA: gv = B_h^T dctx_h; dB_v += s dctx_h (sum_j P_hj U_j)^T.
    if (Uv && Bv && gBv && f.pu) {
      gv.fill(0);
      for (let d = 0; d < dh; d++) {
        const g = dctx[off + d]!;
        const row = (off + d) * r;
        for (let k = 0; k < r; k++) {
          gv[k]! += g * Bv[row + k]!;
          gBv[row + k]! += s * g * f.pu[h * r + k]!;
        }
      }
    }
    let dot = 0;
    for (let j = 0; j < T; j++) {
      const acc = lowRankDot(dctx, off, v0, j * H + off, dh, Bv && Uv, gv, 0, j * r, r, s);
      dP[j] = acc;
      dot += f.P[h * T + j]! * acc;
    }
    zk.fill(0);
    for (let j = 0; j < T; j++) {
      const pj = f.P[h * T + j]!;
      const dsc = pj * (dP[j]! - dot) * scale;
      const row = j * H + off;
      for (let d = 0; d < dh; d++) dq[off + d]! += dsc * k0[row + d]!;
      if (dUv) for (let k = 0; k < r; k++) dUv[j * r + k]! += s * pj * gv[k]!;
      if (Uk && dUk && f.cq) {
        for (let k = 0; k < r; k++) {
          zk[k]! += dsc * Uk[j * r + k]!;
          dUk[j * r + k]! += s * dsc * f.cq[h * r + k]!;
        }
      }
    }
    // Key LoRA: the scores saw s U_j . (B_h^T q_h).
    if (Uk && Bk && gBk) {
      for (let d = 0; d < dh; d++) {
        const row = (off + d) * r;
        let acc = 0;
        for (let k = 0; k < r; k++) {
          acc += Bk[row + k]! * zk[k]!;
          gBk[row + k]! += s * f.q[off + d]! * zk[k]!;
        }
        dq[off + d]! += s * acc;
      }
    }
  }
  if (p.A.query && p.B.query && f.u.query && grads.A.query && grads.B.query) {
    const uq = f.u.query;
    const duq = new Float64Array(r);
    for (let o = 0; o < H; o++) {
      const d = dq[o]!;
      for (let k = 0; k < r; k++) {
        grads.B.query[o * r + k]! += s * d * uq[k]!;
        duq[k]! += s * p.B.query[o * r + k]! * d;
      }
    }
    for (let k = 0; k < r; k++) for (let i = 0; i < H; i++) grads.A.query[k * H + i]! += duq[k]! * ex.x[i]!;
  }
  for (const [t, dU] of [
    ['key', dUk],
    ['value', dUv],
  ] as const) {
    const gA = grads.A[t];
    if (!dU || !gA) continue;
    for (let j = 0; j < T; j++) {
      const xr = j * H;
      for (let k = 0; k < r; k++) {
        const d = dU[j * r + k]!;
        if (d === 0) continue;
        const ar = k * H;
        for (let i = 0; i < H; i++) gA[ar + i]! += d * ex.x[xr + i]!;
      }
    }
  }
}

/**
 * Softmax cross-entropy against a target distribution, and its gradient with respect to the logits.
 *
 * @param logits - the logits
 * @param target - a probability per class (one-hot for hard labels)
 */
export function crossEntropy(
  logits: ArrayLike<number>,
  target: ArrayLike<number>,
): { loss: number; dlogits: Float64Array; probs: Float64Array } {
  const C = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < C; c++) max = Math.max(max, logits[c]!);
  let z = 0;
  for (let c = 0; c < C; c++) z += Math.exp(logits[c]! - max);
  const logZ = max + Math.log(z);
  const probs = new Float64Array(C);
  const dlogits = new Float64Array(C);
  let loss = 0;
  for (let c = 0; c < C; c++) {
    const lp = logits[c]! - logZ;
    probs[c] = Math.exp(lp);
    if (target[c]! > 0) loss -= target[c]! * lp;
    dlogits[c] = probs[c]! - target[c]!;
  }
  return { loss, dlogits, probs };
}

/**
 * Zeroed gradients shaped like `p`.
 *
 * @param p - the parameters
 */
export function zeroGradients(p: TrainableParams): Gradients {
  const A: Gradients['A'] = {};
  const B: Gradients['B'] = {};
  for (const t of Object.keys(p.A) as LoraTarget[]) {
    A[t] = new Float64Array(p.A[t]!.length);
    B[t] = new Float64Array(p.B[t]!.length);
  }
  return {
    A,
    B,
    classifierWeight: new Float64Array(p.classifierWeight.length),
    classifierBias: new Float64Array(p.classifierBias.length),
  };
}

/**
 * Every trainable array of `p` (or of gradients shaped like it) in a fixed order, with a name.
 *
 * @param p - parameters or gradients
 */
export function paramList(p: Gradients): [string, Float64Array][] {
  const out: [string, Float64Array][] = [];
  for (const t of ['query', 'key', 'value'] as const) {
    if (p.A[t]) out.push([`${t}.lora_A`, p.A[t]!]);
    if (p.B[t]) out.push([`${t}.lora_B`, p.B[t]!]);
  }
  out.push(['classifier.weight', p.classifierWeight], ['classifier.bias', p.classifierBias]);
  return out;
}

/**
 * `x[xOff..xOff+dh] . base[baseOff..baseOff+dh] + s * (U[uOff..uOff+r] . c[cOff..cOff+r])`: a dot product with
 * one row of a frozen projection plus its LoRA low-rank term (left out when `U` or `c` is absent), summed in
 * that order.
 */
function lowRankDot(
  x: ArrayLike<number>,
  xOff: number,
  base: ArrayLike<number>,
  baseOff: number,
  dh: number,
  U: ArrayLike<number> | undefined | null | false,
  c: ArrayLike<number> | undefined,
  cOff: number,
  uOff: number,
  r: number,
  s: number,
): number {
  let acc = 0;
  for (let d = 0; d < dh; d++) acc += x[xOff + d]! * base[baseOff + d]!;
  if (U && c) {
    let low = 0;
    for (let k = 0; k < r; k++) low += U[uOff + k]! * c[cOff + k]!;
    acc += s * low;
  }
  return acc;
}
