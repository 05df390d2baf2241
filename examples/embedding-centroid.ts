/**
 * The embedding detector with the model-free HashingEmbedder: fit it on labelled transcripts, judge new ones
 * (centroid similarities, the nearest labelled examples, a linear probe), then save and restore it.
 * Runs offline in a few seconds; no model is downloaded.
 *
 *   npx tsx examples/embedding-centroid.ts [train.jsonl]
 *
 * Data: the given JSONL file, else the first 400 speakers of the ConvAI training split in ../shared when
 * present, else a few inline transcripts (enough to run, too few to learn much). For meaning rather than style,
 * use `new TransformersEmbedder()` (e5-small-v2) instead of `new HashingEmbedder()`.
 *
 */
// needs: none (uses the ConvAI data in ../shared when present, inline examples otherwise)
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LabelledTranscript, readTranscriptJson, readTranscriptsJsonl } from 'botlens';
import { EmbeddingCentroidDetector, HashingEmbedder } from 'botlens/detectors';

const here = dirname(fileURLToPath(import.meta.url));
const convai = resolve(here, '../../shared/data/convai-bots/train.jsonl');

/** A few inline conversations: each gives a bot and a human example, as in the ConvAI logs. */
function inlineExamples(): LabelledTranscript[] {
  const bot = [
    'Hello ! How are you today ?',
    "i 'm a teacher . do you have any pets ?",
    'I love to read books . What is your favorite book ?',
    'That sounds great . I like to go hiking .',
  ];
  const human = ['hey whats up', 'lol yeah', 'wait what do you mean', 'my cat hates me haha', 'brb coffee'];
  const out: LabelledTranscript[] = [];
  for (let i = 0; i < 8; i++) {
    const messages = [0, 1, 2].flatMap((j) => [
      { speaker: 'person', text: human[(i + j) % human.length]! },
      { speaker: 'bot', text: bot[(i * 3 + j) % bot.length]! },
    ]);
    out.push({ messages, target: 'bot', label: 'bot' }, { messages, target: 'person', label: 'human' });
  }
  return out;
}

const source = process.argv[2] ?? (existsSync(convai) ? convai : undefined);
const examples = source ? (await readTranscriptsJsonl(source)).slice(0, 400) : inlineExamples();
console.log(`fitting on ${examples.length} labelled speakers from ${source ?? 'inline examples'}`);

const detector = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
const t0 = performance.now();
await detector.fit(examples);
console.log(
  `fitted in ${((performance.now() - t0) / 1000).toFixed(1)} s; kNN search: ${detector.searchMethod}`,
);

const sample = await readTranscriptJson(resolve(here, 'transcript.json'));
const casual = await readTranscriptJson(resolve(here, 'casual-chat.json'));
for (const [what, t] of [
  ['transcript.json (helperbot)', sample],
  ['casual chat (sam)', casual],
] as const) {
  const d = await detector.detect(t);
  console.log(`\n${what}: P(bot) = ${d.score?.toFixed(3)} -> ${d.label}`);
  for (const e of d.evidence) console.log(`  ${e.name.padEnd(18)} ${e.sentence}`);
}

// A target that sent only empty messages gets an abstention, not a guess.
const silent = await detector.detect({
  target: 'lurker',
  messages: [
    { speaker: 'ana', text: 'anyone there?' },
    { speaker: 'lurker', text: '' },
  ],
});
console.log(`\nempty target: score ${silent.score} (${silent.evidence[0]?.sentence})`);

// Save and restore: the hashing embedder is rebuilt from the id stored in the state; scores are identical.
const json = JSON.stringify(detector.toJSON());
const restored = EmbeddingCentroidDetector.fromJSON(JSON.parse(json));
const same = (await restored.detect(sample)).score === (await detector.detect(sample)).score;
console.log(
  `saved state: ${(json.length / 1024).toFixed(0)} KB of JSON; restored detector gives the same score: ${same}`,
);
await detector.dispose();
await restored.dispose();
