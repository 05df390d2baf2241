/**
 * Running fully offline from a local model folder: `modelDir` holds `<model>/` in the transformers.js layout
 * (config.json, tokenizer.json, tokenizer_config.json, onnx/model*.onnx) and implies offline, so nothing is ever
 * fetched. Models named the same way by several components are loaded once and shared.
 *
 *   npx tsx examples/offline-local-model.ts [modelDir] [model]
 *
 * Defaults: the tiny fixtures in ../shared as modelDir and `tiny-bert` as the model (random weights). To prepare
 * a real folder, run once online (models land in ~/.cache/botlens/<id>/) or `botlens pull Xenova/e5-small-v2`,
 * then point modelDir at ~/.cache/botlens.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadedModels, TransformersEmbedder } from '../src/detectors/index.js';
import { ModelLoadError } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const modelDir = process.argv[2] ?? resolve(here, '../../shared/fixtures/hf-tiny');
const model = process.argv[3] ?? 'tiny-bert';

if (!existsSync(join(modelDir, model))) {
  console.error(`No folder ${join(modelDir, model)}: pass a modelDir that holds ${model}/.`);
  process.exit(1);
}

const a = new TransformersEmbedder({ model, modelDir, dtype: 'q8', batchSize: 16 });
const b = new TransformersEmbedder({ model, modelDir, dtype: 'q8', normalize: false });
try {
  const texts = ['hi there! how are you doing today?', 'Hello ! I am fine . What do you do for fun ?'];
  const [x, y] = await a.embed(texts);
  let cos = 0;
  for (let i = 0; i < x!.length; i++) cos += x![i]! * y![i]!;
  console.log(`${a.id}: ${x!.length}-d vectors, cosine of the two texts ${cos.toFixed(3)}`);
  await b.embed(texts);
  console.log('loaded models (shared between the two embedders):', loadedModels());

  // A model that is not in the folder fails fast with a message saying what to do; nothing is downloaded.
  const missing = new TransformersEmbedder({ model: 'Xenova/e5-small-v2', modelDir });
  await missing.embed(['hi']).catch((err: unknown) => {
    if (ModelLoadError.isInstance(err)) console.log(`\nModelLoadError as expected:\n  ${err.message}`);
    else throw err;
  });
} finally {
  await a.dispose();
  await b.dispose();
}
