import { ExactSearch } from '../../ann/exact-search.js';
import type { Neighbor, VectorIndex } from '../../ann/vector-index.js';
import { addScaled, type CompactVector, compactDot, dot, toDense } from '../../ann/vector-math.js';
import type { ValidTranscript } from '../../core/transcript.js';
import { targetMessages } from '../../core/validate.js';
import type { LogisticModel } from '../../numeric/logistic-regression.js';
import { InvertedExactSearch } from './inverted-search.js';
import { knnSpace, withoutStops } from './knn-space.js';
import type { EmbeddingHnswOptions } from './options.js';

/** Current format of {@link EmbeddingCentroidDetector.toJSON}. @internal */
export const STATE_VERSION = 1;
/** The `kind` of the saved state. @internal */
export const KIND = 'embedding';

/** Everything `fit()` learns. Immutable once built. @internal */
export interface FittedModel {
  embedderId: string;
  dim: number;
  /** Mean training embedding, subtracted before every cosine. */
  center: Float32Array;
  centroidBot: Float32Array;
  centroidHuman: Float32Array;
  /** The labelled embeddings (float16-rounded), dense or sparse. */
  vectors: CompactVector[];
  /** 1 = bot, 0 = human, per labelled vector. */
  labels: Uint8Array;
  /**
   * Positions the kNN vote leaves out (ascending; empty for none): those more than `knnStopShare` of the
   * labelled vectors used at fit time. Centroids and probe keep them.
   */
  knnStop: Int32Array;
  probe: { weights: Float32Array; intercept: number } | null;
  /** Logistic regression over {@link featureNames}. */
  calibration: LogisticModel;
  training: {
    examples: number;
    bots: number;
    humans: number;
    skippedEmpty: number;
    probeExamples: number;
    folds: number;
  };
}

/** The features of one embedding. @internal */
export interface Features {
  cosBot: number;
  cosHuman: number;
  knnShare: number;
  neighbours: Neighbor[];
  probe: number | null;
}

export function featureVector(f: Features, withProbe: boolean): number[] {
  return withProbe ? [f.cosBot - f.cosHuman, f.knnShare, f.probe ?? 0] : [f.cosBot - f.cosHuman, f.knnShare];
}

/** Similarity-weighted share of bots among the neighbours; 0.5 with no neighbours. */
export function knnShare(neighbours: readonly Neighbor[], labels: Uint8Array): number {
  let w = 0;
  let wb = 0;
  for (const n of neighbours) {
    // Negative similarities still vote, with a tiny weight, so a set of distant neighbours is not ignored.
    const weight = Math.max(n.similarity, 0) + 1e-6;
    w += weight;
    wb += weight * labels[n.id]!;
  }
  return w > 0 ? wb / w : 0.5;
}

/** The text the detector embeds: the target's non-empty messages joined with newlines. */
export function targetText(v: ValidTranscript): string {
  return targetMessages(v)
    .map((m) => m.text)
    .filter((t) => t.trim() !== '')
    .join('\n');
}

/** A key equal for two transcripts of the same conversation (same speakers and texts in the same order). */
export function conversationKey(v: ValidTranscript): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const m of v.messages) {
    for (const s of [m.speaker, '\u0000', m.text, '\u0001']) {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 0x01000193);
        h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
      }
    }
  }
  return `${(h1 >>> 0).toString(16)}:${(h2 >>> 0).toString(16)}:${v.messages.length}`;
}

/** `(e - center) / |e - center|`, or null when that is the zero vector. */
export function centered(e: Float32Array, center: Float32Array): Float32Array | null {
  const v = new Float32Array(e.length);
  let s = 0;
  for (let j = 0; j < e.length; j++) {
    const x = e[j]! - center[j]!;
    v[j] = x;
    s += x * x;
  }
  if (!(s > 1e-24)) return null;
  const f = 1 / Math.sqrt(s);
  for (let j = 0; j < v.length; j++) v[j]! *= f;
  return v;
}

/** Squared norm of a compact vector. */
export function selfDot(e: CompactVector): number {
  return e instanceof Float32Array ? dot(e, e) : dot(e.values, e.values);
}

/** Dot product of two compact vectors of the same dimension (sparse pairs by merging their positions). */
export function pairDot(a: CompactVector, b: CompactVector): number {
  if (b instanceof Float32Array) return compactDot(a, b);
  if (a instanceof Float32Array) return compactDot(b, a);
  let s = 0;
  let i = 0;
  let j = 0;
  const ai = a.indices;
  const bi = b.indices;
  while (i < ai.length && j < bi.length) {
    const x = ai[i]!;
    const y = bi[j]!;
    if (x === y) s += a.values[i++]! * b.values[j++]!;
    else if (x < y) i++;
    else j++;
  }
  return s;
}

/** A dense view of a compact vector (dense vectors are returned as they are). */
export function toScratch(e: CompactVector, dim: number): Float32Array {
  return e instanceof Float32Array ? e : toDense(e, dim);
}

export function meanVector(vectors: readonly CompactVector[], dim: number): Float32Array {
  const acc = new Float64Array(dim);
  for (const v of vectors) addScaled(acc, v, 1 / vectors.length);
  return Float32Array.from(acc);
}

/** Up to `max` indices, every class kept in proportion, spread evenly over the input order. */
export function stratifiedSample(labels: Uint8Array, max: number): number[] {
  if (labels.length <= max) return [...labels.keys()];
  const out: number[] = [];
  for (const c of [0, 1]) {
    const members = [...labels.keys()].filter((i) => labels[i] === c);
    const take = Math.max(1, Math.round((members.length / labels.length) * max));
    for (let r = 0; r < take; r++) out.push(members[Math.floor((r * members.length) / take)]!);
  }
  return out.sort((a, b) => a - b);
}

export async function buildIndex(
  m: FittedModel,
  method: 'exact' | 'hnsw',
  hnsw: Required<EmbeddingHnswOptions>,
  exactWhenMissing = false,
): Promise<VectorIndex> {
  let index: VectorIndex;
  // The kNN vote compares without the model's stop positions (if any): the index stores the vectors without them.
  const { vectors, center } = knnSpace(m);
  const ann = method === 'hnsw' ? await import('../../ann/hnsw-index.js') : undefined;
  // useAnn 'auto' without the optional hnswlib-node: exact search gives the same (exact) answers, only slower.
  if (ann && (!exactWhenMissing || (await ann.hnswAvailable()))) {
    index = await ann.HnswIndex.create({
      dim: m.dim,
      capacity: Math.max(16, m.vectors.length),
      center,
      ...hnsw,
    });
  } else if (m.vectors.every((v) => !(v instanceof Float32Array))) {
    index = new InvertedExactSearch(m.dim, center);
  } else {
    index = new ExactSearch({ dim: m.dim, center });
  }
  index.add(vectors);
  return index;
}

/**
 * Features of one embedding: cosines to the centroids, the `k` nearest labelled examples' vote and the probe;
 * null when the embedding equals the training mean (nothing to compare).
 *
 * @param m - the fitted model
 * @param index - the kNN index over its labelled vectors
 * @param e - the embedding
 * @param kMax - the detector's `k`
 * @internal
 */
export function embeddingFeatures(
  m: FittedModel,
  index: VectorIndex,
  e: Float32Array,
  kMax: number,
): Features | null {
  const v = centered(e, m.center);
  if (v === null) return null;
  const k = Math.min(kMax, m.vectors.length);
  const neighbours = k > 0 ? index.search(withoutStops(e, m.knnStop), k) : [];
  return {
    cosBot: dot(v, m.centroidBot),
    cosHuman: dot(v, m.centroidHuman),
    knnShare: knnShare(neighbours, m.labels),
    neighbours,
    probe: m.probe ? dot(v, m.probe.weights) + m.probe.intercept : null,
  };
}
