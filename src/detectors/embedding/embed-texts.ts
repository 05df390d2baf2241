import { roundToFloat16 } from '../../ann/vector-codec.js';
import { assertDims, compactVector, type SparseVector } from '../../ann/vector-math.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import type { Embedder } from '../../runtime/embedder.js';
import { type HashingEmbedder, isHashingEmbedder } from '../../runtime/hashing-embedder.js';
import type { CachedEmbedding } from './fit-cache.js';

/**
 * Embeds texts `batchSize` at a time, checking that the embedder returns one vector per text.
 *
 * @internal
 */
export async function embedInBatches(
  embedder: Embedder,
  texts: string[],
  batchSize: number,
  signal: AbortSignal | undefined,
  what: string,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let at = 0; at < texts.length; at += batchSize) {
    AbortedError.throwIfAborted(signal, what);
    const chunk = texts.slice(at, at + batchSize);
    const got = await embedder.embed(chunk, signal ? { signal } : {});
    if (!Array.isArray(got) || got.length !== chunk.length) {
      throw new InvalidOptionsError(
        'embedder',
        `embed() returned ${Array.isArray(got) ? got.length : 'no'} vectors for ${chunk.length} texts`,
      );
    }
    out.push(...got);
  }
  return out;
}

/**
 * Embeds texts for the fit: unrounded (what `detect()` compares) and float16-rounded (what the model stores).
 * Hashed texts stay sparse all the way (no dense vector of `dim` floats per text); other embedders' vectors are
 * checked for length and finite values.
 *
 * @internal
 */
export async function embedForFit(
  embedder: Embedder,
  texts: string[],
  embedDense: (texts: string[]) => Promise<Float32Array[]>,
  signal: AbortSignal | undefined,
  what: string,
): Promise<CachedEmbedding[]> {
  if (isHashingEmbedder(embedder)) {
    return texts.map((t, i) => {
      if ((i & 255) === 0) AbortedError.throwIfAborted(signal, what);
      const raw = embedder.embedSparse(t);
      return { raw, rounded: roundSparse(raw, embedder.dim) };
    });
  }
  const dense = await embedDense(texts);
  const dim = dense[0]!.length;
  if (!(dim >= 1)) throw new InvalidOptionsError('embedder', `embed() returned vectors of length ${dim}`);
  return dense.map((e, i) => {
    assertDims(`embedding of example ${i}`, e.length, dim);
    for (let j = 0; j < e.length; j++) {
      if (!Number.isFinite(e[j]!))
        throw new InvalidOptionsError('embedder', `embedding of example ${i} holds ${e[j]} at ${j}`);
    }
    return { raw: e, rounded: compactVector(roundToFloat16(Float32Array.from(e))) };
  });
}

/** The vector length of an embedding from `embedder`. @internal */
export function embeddingDim(embedder: Embedder, e: CachedEmbedding): number {
  if (e.raw instanceof Float32Array) return e.raw.length;
  return (embedder as HashingEmbedder).dim;
}

/** Float16-rounds a sparse embedding as the dense path does (entries that round to zero are dropped). */
function roundSparse(raw: SparseVector, dim: number): SparseVector | Float32Array {
  const values = roundToFloat16(Float32Array.from(raw.values));
  let nnz = 0;
  for (const v of values) if (v !== 0) nnz++;
  if (!(nnz < 0.35 * dim)) {
    const dense = new Float32Array(dim);
    raw.indices.forEach((j, k) => {
      dense[j] = values[k]!;
    });
    return compactVector(dense);
  }
  const indices = new Int32Array(nnz);
  const kept = new Float32Array(nnz);
  for (let k = 0, at = 0; k < values.length; k++) {
    if (values[k] !== 0) {
      indices[at] = raw.indices[k]!;
      kept[at++] = values[k]!;
    }
  }
  return { indices, values: kept };
}
