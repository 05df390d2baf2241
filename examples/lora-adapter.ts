/**
 * LoRA adapters with botlens, offline on the tiny fixture models (random weights: the scores mean nothing,
 * the plumbing is what is shown).
 *
 *   npx tsx examples/lora-adapter.ts
 *
 * 1. Merge a PEFT adapter (trained in Python) into an ONNX model and classify with the result.
 * 2. Train a LoRA adapter in TypeScript on labelled transcripts, save it in PEFT's format, and use it.
 *
 * In an application, import from 'botlens/peft' and 'botlens/detectors' instead of '../src/...'.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoraClassifierDetector } from '../src/detectors/index.js';
import { readTranscriptsJsonl, type Transcript } from '../src/index.js';
import { mergeLoraAdapter, trainLora } from '../src/peft/index.js';

const shared =
  process.env['BOTLENS_SHARED'] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../shared');
const tiny = join(shared, 'fixtures/hf-tiny');
if (!existsSync(tiny)) {
  console.error(
    `This example needs the fixture models in ${tiny} (set BOTLENS_SHARED to the folder holding fixtures/).`,
  );
  process.exit(1);
}
const work = await mkdtemp(join(tmpdir(), 'botlens-lora-example-'));
process.env['BOTLENS_CACHE_DIR'] ??= join(work, 'cache');

const transcript: Transcript = {
  target: 'bot42',
  messages: [
    { speaker: 'alice', text: 'hey, how was your weekend?' },
    { speaker: 'bot42', text: 'Hello ! I am fine . What do you do for fun ?' },
  ],
};

try {
  // 1. Merge the PEFT adapter into the base model: only weights change, so inference costs what the base costs.
  const merged = join(work, 'merged');
  const report = await mergeLoraAdapter({
    base: join(tiny, 'tiny-bert-cls'),
    adapter: join(tiny, 'tiny-bert-cls-lora'),
    out: merged,
  });
  for (const m of report.merged) console.log(`merged ${m.module} (r=${m.r}, scaling=${m.scaling})`);
  for (const p of report.replaced) console.log(`replaced ${p.parameter}`);

  const fromPython = new LoraClassifierDetector({ model: merged });
  const d1 = await fromPython.detect(transcript);
  console.log(`merged PEFT adapter: P(bot) = ${d1.score?.toFixed(3)} -> ${d1.label}`);
  await fromPython.dispose();

  // 2. Train an adapter in process (top layer query/value, r=8, alpha=32, plus the head) and save it for PEFT.
  const data = join(shared, 'data/convai-bots/train.jsonl');
  if (existsSync(data)) {
    const examples = (await readTranscriptsJsonl(data)).slice(0, 200);
    const adapterDir = join(work, 'my-adapter');
    const res = await trainLora({
      model: join(tiny, 'tiny-bert-cls'),
      examples,
      epochs: 5,
      learningRate: 0.01,
      maxLength: 64,
      out: adapterDir,
      onProgress: (p) => {
        if (p.phase === 'epoch')
          console.log(
            `epoch ${p.stats.epoch}: val loss ${p.stats.validationLoss.toFixed(3)}, val F1 ${p.stats.validationF1.toFixed(3)}`,
          );
      },
    });
    console.log(
      `trained ${res.trainableParameters} of ${res.totalParameters} parameters (${(100 * res.trainableShare).toFixed(2)}%), saved to ${res.folder}`,
    );
    const mine = new LoraClassifierDetector({
      model: join(tiny, 'tiny-bert-cls'),
      adapters: [adapterDir],
      maxLength: 64,
    });
    const d2 = await mine.detect(transcript);
    console.log(`adapter trained in TypeScript: P(bot) = ${d2.score?.toFixed(3)} -> ${d2.label}`);
    await mine.dispose();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
