import { z } from 'zod';
import type { ModelOptions } from '../../runtime/model-options.js';
import type { TransformersEmbedderOptions } from '../../runtime/transformers-embedder.js';
import { type DetectorDescriptor, defineDetector } from '../descriptor.js';
import type { EmbeddingCentroidDetector } from '../embedding/embedding-centroid-detector.js';
import { type EmbeddingRareBucketOptions, resolveOptions } from '../embedding/options.js';
import { markLoadsModel } from './model-detector.js';
import {
  checkedOption,
  definedOnly,
  MODEL_CLI_FLAGS,
  modelOptionsSchema,
  savedModelOptions,
} from './option-fields.js';

const hnswLimits = z
  .looseObject({
    m: z.number().int().min(2).max(256).optional(),
    efConstruction: z.number().int().min(1).max(10_000).optional(),
    efSearch: z.number().int().min(1).max(10_000).optional(),
  })
  .optional();

/**
 * `rareBuckets` in a spec, checked by the detector's own option check (the rule has one home), a problem reported
 * at its nested key (`rareBuckets.minConversations`).
 */
const rareBucketsSchema = checkedOption((v) => {
  resolveOptions({ rareBuckets: v as EmbeddingRareBucketOptions });
  return v as EmbeddingRareBucketOptions | undefined;
});

/** `knnStopShare` in a spec, checked by the detector's own option check. */
const knnStopShareSchema = checkedOption((v) => {
  if (v === undefined) return undefined;
  resolveOptions({ knnStopShare: v as number });
  return v as number;
});

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
    rareBuckets: rareBucketsSchema,
    knnStopShare: knnStopShareSchema,
  }).superRefine((o, ctx) => {
    // Only a hashing embedder's sparse vectors have positions to leave out (the detector refuses a share
    // below 1 with any other embedder); here any value is refused, so no dense spec carries the field.
    if (o.knnStopShare !== undefined && o.embedder !== 'hashing') {
      ctx.addIssue({
        code: 'custom',
        path: ['knnStopShare'],
        message: `applies to the hashing embedder only (the ${o.embedder} embedder's dense vectors use every position): add "embedder": "hashing", or leave knnStopShare out`,
      });
    }
  }),
  stateVersion: 1,
  // Saved sizes are bounded: a hostile file must not make the loader allocate without limit.
  stateSchema: z.looseObject({
    k: z.number().int().min(1).max(1000).optional(),
    hnsw: hnswLimits,
    annMinExamples: z.number().int().min(0).max(100_000_000).optional(),
    folds: z.number().int().min(2).max(100).optional(),
  }),
  cliFlags: [...MODEL_CLI_FLAGS, 'embedder', 'rareBuckets', 'knnStopShare'],
  // Its neighbours and probe are learned from labelled examples.
  needsFit: () => true,
  async create(options, context): Promise<EmbeddingCentroidDetector> {
    const { EmbeddingCentroidDetector } = await import('../embedding/embedding-centroid-detector.js');
    const { name, threshold, embedder, rareBuckets, knnStopShare, ...model } = options;
    const own = {
      name,
      threshold,
      ...(rareBuckets !== undefined && { rareBuckets }),
      ...(knnStopShare !== undefined && { knnStopShare }),
    };
    if (embedder === 'hashing') {
      const { HashingEmbedder } = await import('../../runtime/hashing-embedder.js');
      return new EmbeddingCentroidDetector({ ...own, embedder: new HashingEmbedder() });
    }
    // Given options rather than an embedder, the detector creates its transformer embedder on first use and owns it:
    // its dispose() gives the model back. The saved state records where the model comes from (embedderModel).
    const embedderOptions: TransformersEmbedderOptions = {
      ...(definedOnly(model) as ModelOptions),
      ...(context?.onProgress && { onProgress: context.onProgress }),
    };
    return new EmbeddingCentroidDetector({ ...own, embedderOptions });
  },
  async restore(state, { load }): Promise<EmbeddingCentroidDetector> {
    const { EmbeddingCentroidDetector } = await import('../embedding/embedding-centroid-detector.js');
    const id = state['embedderId'];
    if (typeof id === 'string' && id.startsWith('transformers:')) {
      return EmbeddingCentroidDetector.fromJSON(state, {
        embedderOptions: savedModelOptions(state, load, 'embedderModel'),
      });
    }
    return EmbeddingCentroidDetector.fromJSON(state);
  },
});

// Its transformers embedder loads a model; the hashing one does not.
markLoadsModel(embeddingDescriptor as DetectorDescriptor, (o) => o['embedder'] !== 'hashing');
