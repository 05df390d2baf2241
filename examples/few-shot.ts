/**
 * Few-shot prompting: a causal LM reads labelled example conversations, then the target's, and the probability
 * it gives to " bot" versus " human" after "Answer:" is the score.
 *
 *   npx tsx examples/few-shot.ts [transcript.json] [model]
 *
 * Defaults run offline: examples/transcript.json, the tiny GPT-2 fixture from ../shared (random weights: the
 * score shows the plumbing, not a real judgement) and examples from the ConvAI data in ../shared. For real use
 * pass an instruct model such as `onnx-community/Qwen2.5-0.5B-Instruct` (its chat template is used).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FewShotPromptDetector } from '../src/detectors/index.js';
import { type LabelledTranscript, readTranscriptsJsonl, type Transcript } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../shared');
const transcriptPath = process.argv[2] ?? resolve(here, 'transcript.json');
const model = process.argv[3] ?? resolve(shared, 'fixtures/hf-tiny/tiny-gpt2');

const transcript = JSON.parse(readFileSync(transcriptPath, 'utf8')) as Transcript;
const convai = resolve(shared, 'data/convai-bots/train.jsonl');
const examples: LabelledTranscript[] = existsSync(convai)
  ? (await readTranscriptsJsonl(convai)).slice(0, 40)
  : [
      { label: 'human', messages: [{ speaker: 'a', text: 'lol no way 😂 that is crazy' }] },
      { label: 'bot', messages: [{ speaker: 'b', text: 'Hello ! I am fine . What do you do for fun ?' }] },
      { label: 'human', messages: [{ speaker: 'c', text: 'ugh my train was late again' }] },
    ];

const detector = new FewShotPromptDetector({ model, shots: 3 });
try {
  await detector.fit(examples);
  const prompt = await detector.buildPrompt(transcript);
  console.log(`--- prompt (${prompt.tokens} tokens, ${prompt.exampleLabels.length} examples) ---`);
  console.log(prompt.text);
  console.log('--- end of prompt ---\n');
  const r = await detector.detect(transcript);
  console.log(`P(bot) = ${r.score?.toFixed(3)} -> ${r.label}`);
  for (const e of r.evidence) console.log(`  ${e.name.padEnd(14)} ${e.sentence}`);
} finally {
  await detector.dispose();
}
