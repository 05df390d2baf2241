import type { importAllOptional, OptionalNeed } from './optional-import.js';

/**
 * The optional packages of each botlens feature, with their literal imports, in one table: every place that
 * imports one of them and every up-front check ({@link importAllOptional}) names the feature in the same words.
 * Importing this module imports none of them.
 *
 * @internal
 */
export const OPTIONAL_NEEDS = {
  /** transformers.js (which brings onnxruntime-node, reported itself when missing under it). */
  models: {
    feature: 'Model-backed detectors',
    loads: [['@huggingface/transformers', () => import('@huggingface/transformers')]],
  },
  /** BullMQ, for the queue producer and the workers. */
  queue: {
    feature: 'The queue commands (score --redis, worker)',
    loads: [['bullmq', () => import('bullmq')]],
  },
  /** The HTTP service's server, OpenAPI document and metrics. */
  service: {
    feature: 'The HTTP service',
    loads: [
      ['fastify', () => import('fastify')],
      ['@fastify/swagger', () => import('@fastify/swagger')],
      ['prom-client', () => import('prom-client')],
    ],
  },
  /** hnswlib-node, for approximate nearest-neighbour search. */
  hnsw: {
    feature: 'HNSW vector indexes',
    loads: [['hnswlib-node', () => import('hnswlib-node')]],
  },
} as const satisfies Record<string, OptionalNeed>;
