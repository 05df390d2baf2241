import {
  decodeFloat32,
  decodeVectors,
  type EncodedVectors,
  encodeFloat32,
  encodeVectors,
} from '../../ann/vector-codec.js';
import { describeValue } from '../../core/describe-value.js';
import type { DetectorState } from '../../core/detector.js';
import type { JsonObject } from '../../core/json.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import type { Embedder } from '../../runtime/embedder.js';
import { transformersOptionsFromId } from '../../runtime/embedder-id.js';
import { modelSourceOf, transformersEmbedderSource } from '../../runtime/embedder-source.js';
import { HashingEmbedder, isHashingEmbedder } from '../../runtime/hashing-embedder.js';
import { relocateSavedModelOptions, type SerializedModelOptions } from '../../runtime/model-options.js';
import type { TransformersEmbedderOptions } from '../../runtime/transformers-embedder.js';
import { type FittedModel, KIND, STATE_VERSION } from './model.js';
import type {
  EmbeddingCentroidOptions,
  EmbeddingHnswOptions,
  EmbeddingRareBucketOptions,
  Resolved,
} from './options.js';

/**
 * The options and fitted state as JSON: labelled vectors as float16 (sparse ones as positions and values),
 * centroids and probe weights as float32, all base64.
 *
 * @internal
 */
export function encodeState(
  o: Resolved,
  embedderId: string | null,
  m: FittedModel | undefined,
  embedderModel?: SerializedModelOptions,
): DetectorState {
  const state: DetectorState = {
    kind: KIND,
    version: STATE_VERSION,
    name: o.name,
    threshold: o.threshold,
    k: o.k,
    useAnn: o.useAnn,
    annMinExamples: o.annMinExamples,
    hnsw: { ...o.hnsw },
    probe: o.probe,
    probeL2: o.probeL2,
    probeMaxIter: o.probeMaxIter,
    probeMaxExamples: o.probeMaxExamples,
    // Written only when set, so state without it reads (and hashes) as before.
    ...(o.rareBuckets && { rareBuckets: { ...o.rareBuckets } }),
    // Written only when it leaves something out: state without it reads as 1 (nothing left out), as state saved
    // before the option existed did, and a fit without it saves (and hashes) as before.
    ...(o.knnStopShare !== 1 && { knnStopShare: o.knnStopShare }),
    folds: o.folds,
    batchSize: o.batchSize,
    embedderId,
    // Where a transformer embedder's model came from (the id names a local folder by its base name only).
    ...(embedderModel && { embedderModel: { ...embedderModel } }),
    model: null,
  };
  if (m) {
    const model: JsonObject = {
      dim: m.dim,
      center: encodeFloat32(m.center),
      centroidBot: encodeFloat32(m.centroidBot),
      centroidHuman: encodeFloat32(m.centroidHuman),
      labels: Buffer.from(m.labels).toString('base64'),
      vectors: encodeVectors(m.vectors, m.dim),
      // Written only when there are some, so state without them reads (and hashes) as before.
      ...(m.knnStop.length > 0 && { knnStop: encodeInt32(m.knnStop) }),
      probe: m.probe ? { weights: encodeFloat32(m.probe.weights), intercept: m.probe.intercept } : null,
      calibration: { weights: [...m.calibration.weights], intercept: m.calibration.intercept },
      training: { ...m.training },
    };
    state['model'] = model;
  }
  return state;
}

/**
 * Where a detector's transformer embedder takes its model from, for saved state: the embedder's recorded source,
 * or (not created yet) the one the detector will create from its options; none for a hashing embedder.
 *
 * @internal
 */
export function embedderSource(
  embedder: Embedder | undefined,
  id: string | null,
  embedderOptions: TransformersEmbedderOptions,
): SerializedModelOptions | undefined {
  if (embedder) return modelSourceOf(embedder);
  if (id !== null && HashingEmbedder.fromId(id)) return undefined;
  return transformersEmbedderSource(embedderOptions);
}

/** What {@link readState} recovers from saved state. @internal */
export interface ReadState {
  /** Constructor options (with the embedder rebuilt from its id where possible). */
  options: EmbeddingCentroidOptions;
  /** True when the embedder was built here (the detector then disposes it). */
  ownsEmbedder: boolean;
  /** The fitted model, when the state holds one. */
  model: FittedModel | undefined;
}

/**
 * Checks saved state and turns it back into constructor options and a fitted model.
 *
 * @internal
 */
export function readState(
  state: DetectorState,
  options: { embedder?: Embedder; embedderOptions?: TransformersEmbedderOptions },
): ReadState {
  if (typeof state !== 'object' || state === null || state.kind !== KIND) {
    throw new InvalidOptionsError(
      'state',
      'expected the object returned by EmbeddingCentroidDetector.toJSON() (kind "embedding")',
    );
  }
  if (state.version !== STATE_VERSION) {
    throw new InvalidOptionsError(
      'state.version',
      `this botlens reads embedding state version ${STATE_VERSION}, got ${describeValue(state.version)}: refit or upgrade botlens`,
    );
  }
  const s = state as Record<string, unknown>;
  const savedId = s['embedderId'];
  if (savedId !== null && typeof savedId !== 'string')
    throw new InvalidOptionsError('state.embedderId', 'expected a string');
  let embedder = options.embedder;
  let embedderOptions = options.embedderOptions;
  if (embedder && typeof savedId === 'string' && embedder.id !== savedId) {
    throw new InvalidOptionsError(
      'embedder',
      `the state was fitted with embedder "${savedId}" but "${embedder.id}" was given: pass an embedder with id "${savedId}" or fit again`,
    );
  }
  if (!embedder && typeof savedId === 'string') {
    embedder = HashingEmbedder.fromId(savedId);
    // The recorded source (relocated as the caller says: modelDir, cacheDir...), then the caller's own options.
    const source = {
      ...relocateSavedModelOptions(s['embedderModel'], embedderOptions ?? {}),
      ...embedderOptions,
    };
    if (!embedder) embedderOptions = { ...transformersOptionsFromId(savedId), ...source };
  }
  const hnsw = (s['hnsw'] ?? {}) as EmbeddingHnswOptions;
  const opt = <T>(key: string): T | undefined =>
    s[key] === undefined || s[key] === null ? undefined : (s[key] as T);
  const ctor: EmbeddingCentroidOptions = {
    ...(opt<string>('name') !== undefined && { name: opt<string>('name') }),
    ...(opt<number>('threshold') !== undefined && { threshold: opt<number>('threshold') }),
    ...(opt<number>('k') !== undefined && { k: opt<number>('k') }),
    ...(opt<boolean | 'auto'>('useAnn') !== undefined && { useAnn: opt<boolean | 'auto'>('useAnn') }),
    ...(opt<number>('annMinExamples') !== undefined && { annMinExamples: opt<number>('annMinExamples') }),
    hnsw,
    ...(opt<boolean>('probe') !== undefined && { probe: opt<boolean>('probe') }),
    ...(opt<number>('probeL2') !== undefined && { probeL2: opt<number>('probeL2') }),
    ...(opt<number>('probeMaxIter') !== undefined && { probeMaxIter: opt<number>('probeMaxIter') }),
    ...(opt<number>('probeMaxExamples') !== undefined && {
      probeMaxExamples: opt<number>('probeMaxExamples'),
    }),
    ...(opt<EmbeddingRareBucketOptions>('rareBuckets') !== undefined && {
      rareBuckets: opt<EmbeddingRareBucketOptions>('rareBuckets'),
    }),
    // State saved before the option existed left nothing out, and so did a dense embedder (its fitted model has
    // no stop positions): a share saved with one (botlens let a fit set it) reads as 1, which it behaved as.
    knnStopShare: isHashingEmbedder(embedder) ? (opt<number>('knnStopShare') ?? 1) : 1,
    ...(opt<number>('folds') !== undefined && { folds: opt<number>('folds') }),
    ...(opt<number>('batchSize') !== undefined && { batchSize: opt<number>('batchSize') }),
    ...(embedder && { embedder }),
    ...(embedderOptions && { embedderOptions }),
  };
  const model = s['model'];
  let fitted: FittedModel | undefined;
  if (model !== null && model !== undefined) {
    if (typeof savedId !== 'string')
      throw new InvalidOptionsError('state.embedderId', 'fitted state must name its embedder');
    fitted = decodeModel(model, savedId);
  }
  return {
    options: ctor,
    ownsEmbedder: embedder !== undefined && options.embedder === undefined,
    model: fitted,
  };
}

/** Decodes the `model` part of saved state. @internal */
export function decodeModel(value: unknown, embedderId: string): FittedModel {
  if (typeof value !== 'object' || value === null)
    throw new InvalidOptionsError('state.model', 'expected an object');
  const o = value as Record<string, unknown>;
  const dim = o['dim'];
  if (!Number.isInteger(dim) || (dim as number) < 1)
    throw new InvalidOptionsError('state.model.dim', 'expected a positive integer');
  const d = dim as number;
  const vectors = decodeVectors(o['vectors'] as EncodedVectors, 'state.model.vectors');
  if ((o['vectors'] as { dim?: unknown }).dim !== d)
    throw new InvalidOptionsError('state.model.vectors.dim', `expected ${d}`);
  const labelsText = o['labels'];
  if (typeof labelsText !== 'string')
    throw new InvalidOptionsError('state.model.labels', 'expected a base64 string');
  const labels = new Uint8Array(Buffer.from(labelsText, 'base64'));
  if (labels.length !== vectors.length || labels.some((l) => l > 1)) {
    throw new InvalidOptionsError('state.model.labels', `expected ${vectors.length} labels of 0 or 1`);
  }
  const probeRaw = o['probe'] as Record<string, unknown> | null | undefined;
  let probe: FittedModel['probe'] = null;
  if (probeRaw) {
    const intercept = probeRaw['intercept'];
    if (typeof intercept !== 'number')
      throw new InvalidOptionsError('state.model.probe.intercept', 'expected a number');
    probe = { weights: decodeFloat32(probeRaw['weights'], 'state.model.probe.weights', d), intercept };
  }
  const cal = o['calibration'] as Record<string, unknown> | undefined;
  const weights = cal?.['weights'];
  const intercept = cal?.['intercept'];
  const nFeatures = probe ? 3 : 2;
  if (
    !Array.isArray(weights) ||
    weights.length !== nFeatures ||
    !weights.every((w) => typeof w === 'number') ||
    typeof intercept !== 'number'
  ) {
    throw new InvalidOptionsError(
      'state.model.calibration',
      `expected { weights: ${nFeatures} numbers, intercept: number }`,
    );
  }
  const training = (o['training'] ?? {}) as FittedModel['training'];
  const knnStop = o['knnStop'] === undefined ? new Int32Array(0) : decodeStop(o['knnStop'], d);
  return {
    embedderId,
    dim: d,
    center: decodeFloat32(o['center'], 'state.model.center', d),
    centroidBot: decodeFloat32(o['centroidBot'], 'state.model.centroidBot', d),
    centroidHuman: decodeFloat32(o['centroidHuman'], 'state.model.centroidHuman', d),
    vectors,
    labels,
    knnStop,
    probe,
    calibration: { weights: weights as number[], intercept },
    training,
  };
}

/** Int32 values as base64 (little-endian). */
function encodeInt32(values: Int32Array): string {
  const out = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeInt32LE(values[i]!, i * 4);
  return out.toString('base64');
}

/** Decodes the model's stop positions: ascending, distinct, each in [0, dim). */
function decodeStop(value: unknown, dim: number): Int32Array {
  const what = 'state.model.knnStop';
  const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
  if (!bytes || bytes.length % 4 !== 0)
    throw new InvalidOptionsError(what, 'expected base64 of 32-bit positions');
  const out = new Int32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) {
    const p = bytes.readInt32LE(i * 4);
    if (p < 0 || p >= dim || (i > 0 && p <= out[i - 1]!)) {
      throw new InvalidOptionsError(
        what,
        `expected ascending distinct positions in [0, ${dim}), got ${p} at ${i}`,
      );
    }
    out[i] = p;
  }
  return out;
}
