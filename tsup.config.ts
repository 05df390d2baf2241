import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The package version, written into the build: the key of the registries the ESM and CJS builds of one release
// share (src/core/shared-across-copies.ts).
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const define = { __BOTLENS_VERSION__: JSON.stringify(version) };

// Heavy runtimes and optional peers stay external and are imported lazily where first needed.
const external = [
  '@huggingface/transformers',
  'onnxruntime-node',
  'hnswlib-node',
  'fastify',
  'sharp',
  'bullmq',
  'piscina',
  'protobufjs',
];

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
      'corpus/index': 'src/corpus/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: false,
    clean: true,
    splitting: true,
    treeshake: true,
    target: 'node20',
    external,
    define,
  },
  {
    // The CLI, and the worker-thread entry that scoreCorpus starts by path (ESM only).
    entry: { 'cli/main': 'src/cli/main.ts', 'corpus/score-worker': 'src/corpus/score-worker.ts' },
    format: ['esm'],
    sourcemap: false,
    clean: false,
    splitting: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external,
    define,
  },
]);
