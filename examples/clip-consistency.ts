/**
 * Does the avatar match the bio? CLIP embeds both; inconsistency = 1 - cosine.
 *
 *   npx tsx examples/clip-consistency.ts [avatar image] [bio] [model]
 *
 * Defaults run offline: an image and a text from the tiny CLIP fixture in ../shared (random weights, so the
 * numbers show the plumbing, not a real signal). For real use pass `Xenova/clip-vit-base-patch32` as the model
 * (downloaded once into ~/.cache/botlens), and fit() the score mapping on labelled profiles: real CLIP cosines
 * between a matching text and image are only about 0.2-0.35.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClipConsistencyDetector } from '../src/detectors/index.js';
import type { Transcript } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../../shared/fixtures/hf-tiny');
const avatar = process.argv[2] ?? resolve(fixtures, 'clip-image-1.png');
const bio = process.argv[3] ?? 'a cartoon robot avatar';
const model = process.argv[4] ?? resolve(fixtures, 'tiny-clip');

if (!existsSync(model) && !process.argv[4]) {
  console.error(`The tiny CLIP fixture is not at ${model}: pass a model, e.g. Xenova/clip-vit-base-patch32.`);
  process.exit(1);
}

const transcript: Transcript = {
  messages: [{ speaker: 'sam', text: 'hi! new here :)' }],
  profile: { bio, avatar },
};
const detector = new ClipConsistencyDetector({ model, maxInconsistency: 0.4 });
try {
  const d = await detector.detect(transcript);
  console.log(`bio: "${bio}"\navatar: ${avatar}`);
  console.log(`P(bot) = ${d.score?.toFixed(3)} -> ${d.label}`);
  for (const e of d.evidence) console.log(`  ${e.name.padEnd(20)} ${e.sentence}`);

  // Without a profile the detector abstains instead of guessing.
  const none = await detector.detect({ messages: transcript.messages });
  console.log(`\nno profile: score ${none.score} (${none.evidence[0]?.sentence})`);
} finally {
  await detector.dispose();
}
