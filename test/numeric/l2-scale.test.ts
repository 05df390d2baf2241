import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { fitLogisticRegression } from '../../src/numeric/logistic-regression.js';

// Two informative features on different scales, with label noise so the weights stay finite.
const X: number[][] = [];
const y: number[] = [];
for (let i = 0; i < 200; i++) {
  const a = Math.sin(i * 1.3);
  const b = 10 * Math.cos(i * 0.7);
  X.push([a, b]);
  y.push(a + b / 10 + 0.4 * Math.sin(i * 5.1) > 0 ? 1 : 0);
}

describe('fitLogisticRegression l2Scale', () => {
  it('factors of 1 give the same model as no factors', () => {
    const plain = fitLogisticRegression(X, y, { l2: 1 });
    const ones = fitLogisticRegression(X, y, { l2: 1, l2Scale: [1, 1] });
    expect(ones.intercept).toBeCloseTo(plain.intercept, 12);
    for (const [j, w] of ones.weights.entries()) expect(w).toBeCloseTo(plain.weights[j]!, 12);
  });

  it('a larger factor on one feature holds its weight nearer 0, exactly as a shrunk column would', () => {
    const plain = fitLogisticRegression(X, y, { l2: 1 });
    const held = fitLogisticRegression(X, y, { l2: 1, l2Scale: [1, 100] });
    expect(Math.abs(held.weights[1]!)).toBeLessThan(Math.abs(plain.weights[1]!) / 2);
    // The same as fitting standardized columns, the held one shrunk by 1/sqrt(factor), with the plain penalty.
    const n = X.length;
    const mean = [0, 1].map((j) => X.reduce((s, r) => s + r[j]!, 0) / n);
    const sd = [0, 1].map((j) => Math.sqrt(X.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / n));
    const shrink = [1, 1 / Math.sqrt(100)];
    const Z = X.map((r) => r.map((v, j) => ((v - mean[j]!) / sd[j]!) * shrink[j]!));
    const byHand = fitLogisticRegression(Z, y, { l2: 1, standardize: false });
    X.forEach((r, i) => {
      const a = held.intercept + held.weights[0]! * r[0]! + held.weights[1]! * r[1]!;
      const b = byHand.intercept + byHand.weights[0]! * Z[i]![0]! + byHand.weights[1]! * Z[i]![1]!;
      expect(a).toBeCloseTo(b, 8);
    });
  });

  it('rejects factors that are not one positive number per feature', () => {
    expect(() => fitLogisticRegression(X, y, { l2Scale: [1] })).toThrow(InvalidOptionsError);
    expect(() => fitLogisticRegression(X, y, { l2Scale: [1, 0] })).toThrow(InvalidOptionsError);
  });
});
