import type { Tensor } from '@huggingface/transformers';

/**
 * The values of a float tensor as a `Float32Array` (fp16 outputs are converted), with its dims.
 *
 * @param t - a tensor from a model's output
 * @param what - the output's name, for the error message
 * @example
 * ```ts
 * const { data, dims } = floatData(out.last_hidden_state, 'last_hidden_state');
 * ```
 */
export function floatData(t: Tensor | undefined, what: string): { data: Float32Array; dims: number[] } {
  if (!t) throw new Error(`botlens: the model returned no "${what}" output; is it the right kind of model?`);
  const f = t.type === 'float32' ? t : t.to('float32');
  const data = f.data;
  if (!(data instanceof Float32Array)) {
    throw new Error(`botlens: output "${what}" has type ${t.type}, expected floats`);
  }
  return { data, dims: [...f.dims] };
}

/**
 * Scales a vector to unit length in place (a zero vector stays zero) and returns it.
 *
 * @param v - the vector
 * @example
 * ```ts
 * normalizeInPlace(new Float32Array([3, 4])); // Float32Array [0.6, 0.8]
 * ```
 */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

/**
 * Cosine similarity of two vectors (0 when either is zero).
 *
 * @param a - first vector
 * @param b - second vector, same length
 * @example
 * ```ts
 * cosine(new Float32Array([1, 0]), new Float32Array([1, 1])); // 0.7071
 * ```
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new Error(`botlens: cosine of vectors of lengths ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
