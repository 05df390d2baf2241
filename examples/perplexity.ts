/**
 * Perplexity, next-token entropy, Binoculars and lexical diversity of one chat speaker.
 *
 *   npx tsx examples/perplexity.ts [transcript.json] [model] [observer]
 *
 * Defaults run offline: examples/transcript.json, and the tiny GPT-2 fixture from ../shared as both the model and
 * (in its q8 variant) the Binoculars observer. The fixture has random weights, so its numbers show the plumbing,
 * not a real signal. For real use pass `Xenova/gpt2 Xenova/distilgpt2` (downloaded once, then cached).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerplexityDiversityDetector } from '../src/detectors/index.js';
import { readTranscriptsJsonl, type Transcript } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
const transcriptPath = process.argv[2] ?? resolve(here, 'transcript.json');
const model = process.argv[3] ?? resolve(shared, 'fixtures/hf-tiny/tiny-gpt2');
const observer = process.argv[4] ? { model: process.argv[4] } : { model, dtype: 'q8' as const };

if (!existsSync(model) && !process.argv[3]) {
  console.error(
    `The tiny model fixture is not at ${model}: pass a model, e.g. Xenova/gpt2 Xenova/distilgpt2.`,
  );
  process.exit(1);
}

const transcript = JSON.parse(readFileSync(transcriptPath, 'utf8')) as Transcript;
const detector = new PerplexityDiversityDetector({ model, observer });
try {
  const before = await detector.detect(transcript);
  console.log(`Unfitted (hand-set weights): P(bot) = ${before.score?.toFixed(3)} -> ${before.label}`);
  for (const e of before.evidence) console.log(`  ${e.name.padEnd(18)} ${e.sentence}`);

  // fit() learns the weights and the Binoculars threshold for this model pair from labelled transcripts.
  const train = resolve(shared, 'data/convai-bots/train.jsonl');
  if (existsSync(train)) {
    const rows = await readTranscriptsJsonl(train);
    const sample = [
      ...rows.filter((r) => r.label === 'bot').slice(0, 30),
      ...rows.filter((r) => r.label === 'human').slice(0, 30),
    ];
    await detector.fit(sample);
    const after = await detector.detect(transcript);
    console.log(
      `\nFitted on ${sample.length} ConvAI speakers: P(bot) = ${after.score?.toFixed(3)} -> ${after.label}`,
    );
    for (const e of after.evidence) console.log(`  ${e.name.padEnd(18)} ${e.contribution?.toFixed(3) ?? ''}`);
  }
} finally {
  await detector.dispose();
}
