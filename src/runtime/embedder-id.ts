import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { TransformersEmbedderOptions } from './transformers-embedder.js';

/**
 * The `TransformersEmbedder` options that reproduce an embedder id such as
 * `transformers:Xenova/e5-small-v2:fp32:mean:norm:prefix="query: "` (as saved in fitted state), so a detector
 * restored from JSON embeds exactly as the one that was fitted.
 *
 * @param id - a `TransformersEmbedder#id`
 * @param what - names the state field in the error
 * @throws InvalidOptionsError when the id is not a TransformersEmbedder id
 *
 * @internal
 */
export function transformersOptionsFromId(
  id: string,
  what = 'state.embedderId',
): TransformersEmbedderOptions {
  const m = /^transformers:([^:]+):(fp32|fp16|q8|q4):(mean|cls):(norm|raw)(?::prefix=(".*"))?$/.exec(id);
  if (!m) {
    throw new InvalidOptionsError(
      what,
      `cannot rebuild embedder "${id}" from its id: pass { embedder } to fromJSON with an embedder whose id is "${id}"`,
    );
  }
  return {
    model: m[1]!,
    dtype: m[2] as TransformersEmbedderOptions['dtype'],
    pooling: m[3] as 'mean' | 'cls',
    normalize: m[4] === 'norm',
    prefix: m[5] === undefined ? '' : (JSON.parse(m[5]) as string),
  };
}
