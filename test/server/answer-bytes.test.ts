import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskElapsed } from '../../bench/lib/compare-answers.js';
import type { Transcript } from '../../src/core/transcript.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { chat } from '../helpers/transcripts.js';
import { sample, startServer } from './start-server.js';

const example = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../examples/transcript.json'), 'utf8'),
) as Transcript;

/** Transcripts whose answers use most of the sentence forms: timed and untimed, quotes, emoji, links, repeats. */
const transcripts: Transcript[] = [
  example,
  sample,
  chat('b', ['a: hi', 'b: hi', 'a: "quoted" \\ text', 'b: hi', 'a: 🍜 ok', 'b: see https://example.com']),
  chat('a', ['a: a surrogate pair \ud83d\ude00 and tab\t', 'b: ok']),
  {
    target: 'b',
    messages: [
      { speaker: 'a', text: 'when?', timestamp: 1_700_000_000_000 },
      { speaker: 'b', text: 'Now .', timestamp: 1_700_000_000_300 },
      { speaker: 'a', text: 'really', timestamp: 1_700_000_090_000 },
      { speaker: 'b', text: 'Yes , really .', timestamp: 1_700_000_250_000 },
    ],
  },
];

const ensemble = () => new Ensemble([new HeuristicDetector()], { strategy: 'weighted-mean' });

describe('the answer the service writes', () => {
  it('is the library result as JSON.stringify writes it, byte for byte (elapsedMs aside)', async () => {
    const { post } = await startServer(ensemble());
    const library = ensemble();
    for (const t of transcripts) {
      const r = await post('/v1/detect', t);
      expect(r.status).toBe(200);
      expect(maskElapsed(await r.text())).toBe(maskElapsed(JSON.stringify(await library.detect(t))));
    }
    const batch = await post('/v1/detect/batch', { transcripts });
    expect(maskElapsed(await batch.text())).toBe(
      maskElapsed(JSON.stringify({ results: await library.detectBatch(transcripts) })),
    );
    // A lone surrogate cannot be written as UTF-8: refused as the library refuses it, never answered.
    const lone = await post('/v1/detect', chat('a', ['a: lonely \ud800 surrogate', 'b: ok']));
    expect(lone.status).toBe(400);
    expect(await lone.text()).toMatch(/lone UTF-16 surrogate/);
  });
});
