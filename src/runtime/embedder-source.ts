import type { Embedder } from './embedder.js';
import type { SerializedModelOptions } from './model-options.js';

/**
 * Where each model-backed embedder's model comes from, as fitted state saves it. Kept beside the embedders
 * (not as a member of the public `Embedder` contract), so a detector can record its embedder's source in its
 * state without knowing the embedder's class.
 */
const sources = new WeakMap<Embedder, SerializedModelOptions>();

/**
 * Records where an embedder's model comes from (a local folder by its absolute path, or a hub id with its
 * revision, and the dtype).
 *
 * @param embedder - the embedder
 * @param source - its model options, serialized
 * @internal
 */
export function recordModelSource(embedder: Embedder, source: SerializedModelOptions): void {
  sources.set(embedder, source);
}

/**
 * Where an embedder's model comes from, as {@link recordModelSource} recorded it; `undefined` for embedders
 * without a model file (hashing) or from elsewhere.
 *
 * @param embedder - the embedder
 * @internal
 */
export function modelSourceOf(embedder: Embedder | undefined): SerializedModelOptions | undefined {
  return embedder ? sources.get(embedder) : undefined;
}
