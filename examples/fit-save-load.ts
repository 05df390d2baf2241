/**
 * Fit a stacking ensemble on labelled transcripts, save it as JSON, restore it, and check that the restored
 * ensemble gives identical scores. This is what `botlens fit --out fitted.json` and
 * `botlens detect --model fitted.json` do.
 *
 *   npx tsx examples/fit-save-load.ts [train.jsonl]
 *
 * Data: the given JSONL file, else the ConvAI training split in ../shared when present, else a few inline
 * transcripts.
 */
// needs: none (uses the ConvAI data in ../shared when present, inline examples otherwise)
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createDetector,
  type DetectorState,
  detectorFromState,
  Ensemble,
  HeuristicDetector,
  type LabelledTranscript,
  readTranscriptJson,
  readTranscriptsJsonl,
  type Transcript,
} from 'botlens';

const here = dirname(fileURLToPath(import.meta.url));
const convai = resolve(here, '../../shared/data/convai-bots/train.jsonl');
const dataPath = process.argv[2] ?? (existsSync(convai) ? convai : undefined);

/** Tiny stand-in data: bots write tokenizer-spaced, formulaic replies; humans write loosely. */
const INLINE: LabelledTranscript[] = [
  [
    'bot',
    [
      'Hello ! How are you today ?',
      'I am fine . What do you do for fun ?',
      'That is great ! I like to read .',
    ],
  ],
  [
    'bot',
    ["i 'm doing well . do you have pets ?", 'i love dogs . what is your favorite food ?', 'cool . me too .'],
  ],
  ['bot', ['Hi ! I am a teacher .', 'What do you do for a living ?', 'I like to go hiking with my dog .']],
  [
    'bot',
    [
      'Hello ! I am happy to help you .',
      'What kind of music do you like ?',
      'That is nice . I like it too .',
    ],
  ],
  ['human', ['lol yeah', 'wait what do you mean', 'my sister has two cats and they hate me haha']],
  ['human', ['ugh my train was late again', 'anyway how was ur weekend?', 'nice!! i went to the beach 🙂']],
  ['human', ['hmm not sure tbh', 'i guess pizza? or ramen', 'ok you are definitely a bot 😂']],
  ['human', ['Honestly I never thought about it that way.', 'maybe you are right', 'gotta go, talk later!']],
].map(([label, texts], i) => ({
  label: label as LabelledTranscript['label'],
  target: 'target',
  messages: (texts as string[]).flatMap((text, k) => [
    { speaker: 'other', text: k === 0 ? `hey #${i}` : 'ok' },
    { speaker: 'target', text },
  ]),
}));

// Every 4th transcript of the file keeps the example quick (the full ConvAI split takes about a minute).
const all = dataPath ? (await readTranscriptsJsonl(dataPath)).filter((_, i) => i % 4 === 0) : INLINE;
console.log(`data: ${dataPath ?? 'inline examples'} (${all.length} labelled transcripts)`);

// The members: the heuristic detector and the embedding detector on hashed word and character n-grams
// (HashingEmbedder: no model needed). Both are built-in, so detectorFromState can rebuild them.
const members = [new HeuristicDetector(), await createDetector({ type: 'embedding', embedder: 'hashing' })];
const ensemble = new Ensemble(members, {
  name: 'stacked',
  strategy: 'stacking',
  folds: 3,
});

const t0 = performance.now();
await ensemble.fit(all); // out-of-fold member scores -> logistic combiner, then members refit on everything
console.log(
  `fitted ${ensemble.members.map((m) => m.name).join(' + ')} in ${(performance.now() - t0).toFixed(0)} ms`,
);

// Save: the whole ensemble (strategy, threshold, combiner, each member's fitted state) is plain JSON.
const dir = await mkdtemp(join(tmpdir(), 'botlens-example-'));
const file = join(dir, 'fitted.json');
await writeFile(file, JSON.stringify(ensemble.toJSON()));
console.log(`saved ${file}`);

// Load: detectorFromState rebuilds any built-in detector, ensembles included.
const restored = await detectorFromState(JSON.parse(await readFile(file, 'utf8')) as DetectorState);

const probe: Transcript[] = [await readTranscriptJson(resolve(here, 'transcript.json')), ...all.slice(0, 9)];
let maxDiff = 0;
console.log('\n  original  restored');
for (const t of probe) {
  const a = (await ensemble.detect(t)).score;
  const b = (await restored.detect(t)).score;
  maxDiff = Math.max(maxDiff, a === null || b === null ? (a === b ? 0 : 1) : Math.abs(a - b));
  console.log(`  ${a?.toFixed(6) ?? 'null'}  ${b?.toFixed(6) ?? 'null'}`);
}
console.log(`\nmax |difference| over ${probe.length} transcripts: ${maxDiff}; identical: ${maxDiff === 0}`);

await ensemble.dispose();
await restored.dispose?.();
await rm(dir, { recursive: true, force: true });
if (maxDiff !== 0) process.exitCode = 1;
