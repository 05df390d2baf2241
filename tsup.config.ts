import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'detectors/index': 'src/detectors/index.ts',
      'peft/index': 'src/peft/index.ts',
      'quant/index': 'src/quant/index.ts',
      'select/index': 'src/select/index.ts',
      'testing/index': 'src/testing/index.ts',
      'server/index': 'src/server/index.ts',
      // loaded by path in worker threads (server.workers), see src/server/worker-pool.ts
      'server/detect-worker': 'src/server/detect-worker.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    target: 'node20',
    // Heavy runtimes stay external and are imported lazily where a model is first needed.
    external: ['@huggingface/transformers', 'onnxruntime-node', 'hnswlib-node', 'fastify', 'sharp'],
  },
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    splitting: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external: ['@huggingface/transformers', 'onnxruntime-node', 'hnswlib-node', 'fastify', 'sharp'],
  },
]);
