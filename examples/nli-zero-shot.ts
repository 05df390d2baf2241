/**
 * Zero-shot bot detection with a natural-language-inference model: "This speaker is bot." vs
 * "This speaker is human.", read against the dialogue.
 *
 *   npx tsx examples/nli-zero-shot.ts [transcript.json] [model]
 *
 * Defaults run offline: examples/transcript.json and the tiny BART NLI fixture from ../shared (random weights, so
 * the numbers show the plumbing, not a real signal). For real use pass `Xenova/bart-large-mnli` (about 1.6 GB in
 * fp32, downloaded once into ~/.cache/botlens; add `dtype: 'q8'` below for a quarter of that).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NliZeroShotDetector } from '../src/detectors/index.js';
import type { Transcript } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const transcriptPath = process.argv[2] ?? resolve(here, 'transcript.json');
const model = process.argv[3] ?? resolve(here, '../../shared/fixtures/hf-tiny/tiny-bart-nli');

if (!existsSync(model) && !process.argv[3]) {
  console.error(`The tiny NLI fixture is not at ${model}: pass a model, e.g. Xenova/bart-large-mnli.`);
  process.exit(1);
}

const transcript = JSON.parse(readFileSync(transcriptPath, 'utf8')) as Transcript;
const detector = new NliZeroShotDetector({ model, contextTurns: 1 });
try {
  const d = await detector.detect(transcript);
  console.log(`P(bot) = ${d.score?.toFixed(3)} -> ${d.label}`);
  for (const e of d.evidence) console.log(`  ${e.name.padEnd(18)} ${e.sentence}`);

  // What the model read: the windows (premises) and each hypothesis' entailment probability.
  const a = await detector.analyze(transcript);
  for (const [i, w] of (a?.windows ?? []).entries()) {
    console.log(`\nwindow ${i}: P(entail bot) ${w.pBot.toFixed(3)}, P(entail human) ${w.pHuman.toFixed(3)}`);
    console.log(w.premise.replace(/^/gm, '  | '));
  }
} finally {
  await detector.dispose();
}
