/**
 * Judge one transcript with the heuristic detector: style and timing signals, no model, no download.
 *
 *   npx tsx examples/detect-heuristic.ts [transcript.json]
 *
 * Defaults to examples/transcript.json.
 */
// needs: none
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeuristicDetector, InvalidTranscriptError, readTranscriptJson } from 'botlens';

const here = dirname(fileURLToPath(import.meta.url));
const path = process.argv[2] ?? resolve(here, 'transcript.json');

// readTranscriptJson parses and validates; a bad file fails with InvalidTranscriptError naming the field.
const transcript = await readTranscriptJson(path);
const detector = new HeuristicDetector();
const d = await detector.detect(transcript);

console.log(`target: ${transcript.target}`);
console.log(`P(bot) = ${d.score === null ? 'abstained' : d.score.toFixed(3)} -> ${d.label ?? 'no label'}`);
console.log(`(${d.elapsedMs.toFixed(2)} ms, threshold ${detector.threshold})\n`);

// Evidence comes sorted by how much each signal moved the score (log-odds); unmeasured signals come last.
console.log('strongest signals:');
for (const e of d.evidence.filter((x) => x.value !== null && x.name !== 'baseline').slice(0, 6)) {
  const c = e.contribution ?? 0;
  console.log(`  ${c >= 0 ? '+' : ''}${c.toFixed(2)}  ${e.name.padEnd(22)} ${e.sentence}`);
}

// Bad input is an error that says what to fix, never a silent guess.
try {
  await detector.detect({
    messages: [
      { speaker: 'a', text: 'hi' },
      { speaker: 'b', text: 'hello' },
    ],
  });
} catch (err) {
  if (!InvalidTranscriptError.isInstance(err)) throw err;
  console.log(`\nInvalidTranscriptError as expected: ${err.issues[0]?.path}: ${err.issues[0]?.message}`);
}
