/**
 * Streaming cost: a 200-message transcript pushed message by message through `Ensemble.stream()` against one
 * `detect()` on the whole transcript, for the heuristic detector alone, the hashing embedding detector alone and
 * their stacking ensemble (fitted on ConvAI train). Target (issue 11): all 200 pushes cost at most 3x one
 * detect() for the ensemble. Also checks that the last push equals detect().
 *
 *   npx tsx bench/stream.ts
 *
 * needs: shared (ConvAI train for the fit).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Detection, Detector } from '../src/core/detector.js';
import type { Transcript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { createDetector, createEnsemble } from '../src/detectors/registry.js';

const here = dirname(fileURLToPath(import.meta.url));
const data = resolve(here, '../../shared/data/convai-bots');
if (!existsSync(data)) {
  console.log('skipped: ../shared not found (this bench fits on the ConvAI train split)');
  process.exit(0);
}
const train = await readTranscriptsJsonl(resolve(data, 'train.jsonl'));
const target = train[0]!.target!;
const long: Transcript = {
  target,
  messages: Array.from({ length: 200 }, (_, i) => ({
    speaker: i % 2 === 0 ? target : 'other',
    text: train[i % train.length]!.messages[i % 3]?.text ?? 'hello there',
    timestamp: 1_700_000_000_000 + i * 4_000,
  })),
};

const heuristic = await createDetector({ type: 'heuristic' });
const embedding = await createDetector({ type: 'embedding', embedder: 'hashing' });
await embedding.fit?.(train);
const ensemble = await createEnsemble({
  strategy: 'stacking',
  detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'hashing' }],
});
await ensemble.fit(train);

async function measure(
  d: Detector,
  reps = 5,
): Promise<{ detectMs: number; streamMs: number; equal: boolean }> {
  let detectMs = Number.POSITIVE_INFINITY;
  let streamMs = Number.POSITIVE_INFINITY;
  let equal = true;
  await d.detect(long); // warm-up
  for (let r = 0; r < reps; r++) {
    let s = performance.now();
    const once = await d.detect(long);
    detectMs = Math.min(detectMs, performance.now() - s);
    s = performance.now();
    const live = d.stream?.({ target });
    if (!live) throw new Error(`${d.name} has no stream()`);
    let last: Detection | undefined;
    for (const m of long.messages) last = await live.push(m);
    streamMs = Math.min(streamMs, performance.now() - s);
    equal &&= last?.score === once.score && last?.label === once.label;
  }
  return { detectMs, streamMs, equal };
}

console.log('200-message transcript, 100 from the target, best of 5 (wall ms)');
console.log('| detector | one detect() | 200 pushes | pushes / detect | last push equals detect() |');
console.log('| --- | --- | --- | --- | --- |');
for (const [label, d] of [
  ['heuristic', heuristic],
  ['embedding (hashing, fitted)', embedding],
  ['stacking ensemble of both (fitted)', ensemble],
] as const) {
  const m = await measure(d);
  console.log(
    `| ${label} | ${m.detectMs.toFixed(2)} | ${m.streamMs.toFixed(2)} | ${(m.streamMs / m.detectMs).toFixed(2)}x | ${m.equal} |`,
  );
}
