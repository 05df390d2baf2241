import { sharedAcrossCopies } from '../core/shared-across-copies.js';
import { defaultModelFor } from '../zoo/model-zoo.js';
import type { Embedder } from './embedder.js';
import { type ModelOptions, type SerializedModelOptions, serializeModelOptions } from './model-options.js';

/**
 * Where each model-backed embedder's model comes from, as fitted state saves it. Kept beside the embedders
 * (not as a member of the public `Embedder` contract), so a detector can record its embedder's source in its
 * state without knowing the embedder's class. Shared by every copy of botlens in the process (see
 * `sharedAcrossCopies`): a detector from one copy saves the source of an embedder made by another.
 */
const sources = sharedAcrossCopies('embedder-sources', () => new WeakMap<Embedder, SerializedModelOptions>());

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

/**
 * Where a `TransformersEmbedder` built with these model options takes its model from, as fitted state records
 * it: the options with the model named (the zoo's embedding default when none is given).
 *
 * @param options - the embedder's model options (other fields are ignored)
 * @internal
 */
export function transformersEmbedderSource(options: ModelOptions): SerializedModelOptions {
  return serializeModelOptions({ ...options, model: options.model ?? defaultModelFor('embedding').id });
}
