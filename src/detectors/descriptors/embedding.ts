import { z } from 'zod';
import type { DetectorState } from '../../core/detector.js';
import type { JsonObject } from '../../core/json.js';
import { type ModelOptions, serializeModelOptions } from '../../runtime/model-options.js';
import { defineDetector } from '../descriptor.js';
import type { EmbeddingCentroidDetector } from '../embedding/embedding-centroid-detector.js';
import { definedOnly, MODEL_CLI_FLAGS, modelOptionsSchema, savedModelOptions } from './option-fields.js';

/** The state field that records where a transformer embedder's model came from. */
const SOURCE_KEY = 'embedderModel';

/**
 * Makes the detector's saved state record where its transformer embedder's model came from (the embedder id
 * alone names a local folder by its base name), so the state loads from any working directory.
 */
function recordSource(d: EmbeddingCentroidDetector, model: ModelOptions): EmbeddingCentroidDetector {
  const saved = serializeModelOptions(model) as JsonObject;
  const toJSON = d.toJSON.bind(d);
  Object.defineProperty(d, 'toJSON', {
    value: (): DetectorState => ({ ...toJSON(), [SOURCE_KEY]: saved }),
    configurable: true,
    writable: true,
  });
  return d;
}

const hnswLimits = z
  .looseObject({
    m: z.number().int().min(2).max(256).optional(),
    efConstruction: z.number().int().min(1).max(10_000).optional(),
    efSearch: z.number().int().min(1).max(10_000).optional(),
  })
  .optional();

/**
 * The `embedding` detector type: a kNN vote and a linear probe over sentence embeddings.
 *
 * @internal
 */
export const embeddingDescriptor = defineDetector({
  specificationVersion: 'v1',
  type: 'embedding',
  description: 'kNN and a linear probe over sentence embeddings (needs fit)',
  optionsSchema: modelOptionsSchema('embedding', {
    embedder: z
      .enum(['hashing', 'transformers'], { error: 'embedder must be hashing or transformers' })
      .default('transformers'),
  }),
  stateVersion: 1,
  // Saved sizes are bounded: a hostile file must not make the loader allocate without limit.
  stateSchema: z.looseObject({
    k: z.number().int().min(1).max(1000).optional(),
    hnsw: hnswLimits,
    annMinExamples: z.number().int().min(0).max(100_000_000).optional(),
    folds: z.number().int().min(2).max(100).optional(),
  }),
  cliFlags: [...MODEL_CLI_FLAGS, 'embedder'],
  async create(options): Promise<EmbeddingCentroidDetector> {
    const { EmbeddingCentroidDetector } = await import('../embedding/embedding-centroid-detector.js');
    const { name, threshold, embedder, ...model } = options;
    if (embedder === 'hashing') {
      const { HashingEmbedder } = await import('../../runtime/hashing-embedder.js');
      return new EmbeddingCentroidDetector({ name, threshold, embedder: new HashingEmbedder() });
    }
    const { TransformersEmbedder } = await import('../../runtime/transformers-embedder.js');
    const modelOptions = definedOnly(model) as ModelOptions;
    const d = new EmbeddingCentroidDetector({
      name,
      threshold,
      embedder: new TransformersEmbedder(modelOptions),
    });
    return recordSource(d, modelOptions);
  },
  async restore(state, { load }): Promise<EmbeddingCentroidDetector> {
    const { EmbeddingCentroidDetector } = await import('../embedding/embedding-centroid-detector.js');
    const id = state['embedderId'];
    if (typeof id === 'string' && id.startsWith('transformers:')) {
      const model = savedModelOptions(state, load, SOURCE_KEY);
      const d = EmbeddingCentroidDetector.fromJSON(state, { embedderOptions: model });
      return state[SOURCE_KEY] === undefined ? d : recordSource(d, model);
    }
    return EmbeddingCentroidDetector.fromJSON(state);
  },
});
