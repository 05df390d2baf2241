import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/numeric/random.js';
import { Adam } from '../../src/peft/training/adam.js';
import { erf } from '../../src/peft/training/layer-math.js';
import {
  backward,
  crossEntropy,
  forward,
  paramList,
  zeroGradients,
} from '../../src/peft/training/top-layer.js';
import type {
  Activation,
  ExampleFeatures,
  LinearWeights,
  TopLayerWeights,
  TrainableParams,
} from '../../src/peft/training/top-layer-weights.js';
import { initialParams, type TrainingExample, trainTopLayer } from '../../src/peft/training/train-core.js';

const H = 8;
const HEADS = 2;
const I = 12;
const C = 2;

function randArray(rnd: () => number, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rnd() - 1) * scale;
  return a;
}

function lin(rnd: () => number, out: number, inp: number): LinearWeights {
  return {
    weight: randArray(rnd, out * inp, 0.6),
    bias: randArray(rnd, out, 0.2),
    inFeatures: inp,
    outFeatures: out,
  };
}

function weights(activation: Activation, seed = 1): TopLayerWeights {
  const rnd = seededRandom(seed);
  const ln = () => ({
    gamma: Float32Array.from(randArray(rnd, H, 0.3), (v) => 1 + v),
    beta: randArray(rnd, H, 0.1),
    eps: 1e-12,
  });
  return {
    hidden: H,
    heads: HEADS,
    activation,
    query: lin(rnd, H, H),
    key: lin(rnd, H, H),
    value: lin(rnd, H, H),
    attentionOut: lin(rnd, H, H),
    ln1: ln(),
    intermediate: lin(rnd, I, H),
    output: lin(rnd, H, I),
    ln2: ln(),
    pooler: lin(rnd, H, H),
    classifier: lin(rnd, C, H),
  };
}

/** Features consistent with the frozen weights: k0 = X Wk^T + bk, v0 = X Wv^T + bv. */
function example(w: TopLayerWeights, tokens: number, seed: number): ExampleFeatures {
  const rnd = seededRandom(seed);
  const x = randArray(rnd, tokens * H, 1);
  const proj = (l: LinearWeights) => {
    const out = new Float32Array(tokens * H);
    for (let j = 0; j < tokens; j++)
      for (let o = 0; o < H; o++) {
        let s = l.bias[o]!;
        for (let i = 0; i < H; i++) s += l.weight[o * H + i]! * x[j * H + i]!;
        out[j * H + o] = s;
      }
    return out;
  };
  return { tokens, x, k0: proj(w.key), v0: proj(w.value) };
}

function lossOf(
  w: TopLayerWeights,
  p: TrainableParams,
  exs: ExampleFeatures[],
  targets: Float64Array[],
): number {
  let l = 0;
  exs.forEach((ex, i) => {
    l += crossEntropy(forward(w, p, ex).logits, targets[i]!).loss;
  });
  return l;
}

describe('top-layer LoRA math', () => {
  it('erf matches known values to double precision', () => {
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 15);
    expect(erf(-2)).toBeCloseTo(-0.9953222650189527, 15);
    expect(erf(3.5)).toBeCloseTo(0.9999992569016276, 14);
    expect(erf(7)).toBe(1);
  });

  for (const activation of ['gelu', 'gelu_tanh', 'relu'] as const) {
    it(`analytic gradients match central finite differences (${activation}, LoRA on query, key and value)`, () => {
      const w = weights(activation);
      const p = initialParams(w, 3, 6, ['query', 'key', 'value'], 7);
      // B starts at zero in PEFT; give it values so every gradient path is exercised.
      const rnd = seededRandom(11);
      for (const t of ['query', 'key', 'value'] as const)
        for (let i = 0; i < p.B[t]!.length; i++) p.B[t]![i] = (2 * rnd() - 1) * 0.5;
      const exs = [example(w, 5, 21), example(w, 3, 22), example(w, 1, 23)];
      const targets = [Float64Array.of(0, 1), Float64Array.of(1, 0), Float64Array.of(0.3, 0.7)];
      const grads = zeroGradients(p);
      exs.forEach((ex, i) => {
        const f = forward(w, p, ex);
        backward(w, p, ex, f, crossEntropy(f.logits, targets[i]!).dlogits, grads);
      });
      const params = paramList(p);
      const analytic = paramList(grads);
      let checked = 0;
      for (let a = 0; a < params.length; a++) {
        const [name, arr] = params[a]!;
        const g = analytic[a]![1];
        for (let i = 0; i < arr.length; i += Math.max(1, Math.floor(arr.length / 7))) {
          const old = arr[i]!;
          const eps = 1e-6;
          arr[i] = old + eps;
          const up = lossOf(w, p, exs, targets);
          arr[i] = old - eps;
          const down = lossOf(w, p, exs, targets);
          arr[i] = old;
          const numeric = (up - down) / (2 * eps);
          const err = Math.abs(numeric - g[i]!) / Math.max(1e-6, Math.abs(numeric) + Math.abs(g[i]!));
          expect(err, `${name}[${i}]: numeric ${numeric} analytic ${g[i]}`).toBeLessThan(1e-5);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(40);
      // The gradients are not all zero (the check above would pass trivially otherwise).
      expect(analytic.every(([, g]) => g.some((v) => Math.abs(v) > 1e-6))).toBe(true);
    });
  }

  it('with B = 0 (the PEFT start) the model computes exactly the base classifier', () => {
    const w = weights('gelu');
    const p0 = initialParams(w, 4, 8, [], 0);
    const p1 = initialParams(w, 4, 8, ['query', 'value'], 0);
    const ex = example(w, 6, 3);
    expect(Array.from(forward(w, p1, ex).logits)).toEqual(Array.from(forward(w, p0, ex).logits));
    // Head-only passes reuse the frozen part, but the logits follow the current head.
    const before = forward(w, p0, ex).logits[0]!;
    p0.classifierBias[0]! += 1;
    expect(forward(w, p0, ex).logits[0]).toBeCloseTo(before + 1, 12);
  });

  it('Adam minimises a quadratic, and trainTopLayer learns a separable task and stops early', () => {
    const x = Float64Array.of(5, -3);
    const opt = new Adam([x], { learningRate: 0.1 });
    for (let i = 0; i < 500; i++) opt.step([Float64Array.from(x, (v) => 2 * v)]);
    expect(Math.abs(x[0]!) + Math.abs(x[1]!)).toBeLessThan(1e-2);

    const w = weights('gelu', 5);
    // Label = sign of the first input feature of [CLS]: learnable through the query/value path and the head.
    const make = (n: number, seed: number): TrainingExample[] =>
      Array.from({ length: n }, (_, i) => {
        const f = example(w, 4, seed + i);
        const y = f.x[0]! > 0 ? 1 : 0;
        return { features: f, target: Float64Array.of(1 - y, y) };
      });
    const train = make(120, 100);
    const val = make(60, 1000);
    const out = trainTopLayer(w, train, val, {
      positive: 1,
      r: 4,
      alpha: 8,
      epochs: 40,
      learningRate: 0.01,
      patience: 4,
      seed: 3,
    });
    const first = out.history[0]!;
    const best = out.history[out.bestEpoch - 1]!;
    expect(best.validationLoss).toBeLessThan(first.validationLoss);
    expect(best.validationAccuracy).toBeGreaterThan(0.8);
    expect(out.bestEpoch).toBeGreaterThan(0);
    const ac = new AbortController();
    ac.abort();
    expect(() => trainTopLayer(w, train, val, { positive: 1, signal: ac.signal })).toThrow(/aborted/);
  });
});
