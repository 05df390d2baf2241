import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Transcript } from '../src/core/transcript.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { createEnsemble, detectorFromFile } from '../src/detectors/registry.js';
import { BotlensError } from '../src/errors/botlens-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';

const dir = mkdtempSync(join(tmpdir(), 'botlens-from-file-'));
const transcript: Transcript = {
  target: 'b',
  messages: [
    { speaker: 'a', text: 'hey, what are you up to?', timestamp: 0 },
    { speaker: 'b', text: 'Hello ! I am fine . What do you like to do ?', timestamp: 400 },
  ],
};

describe('detectorFromFile', () => {
  it('loads a saved ensemble that scores exactly as the original', async () => {
    const original = await createEnsemble({
      strategy: 'weighted-mean',
      threshold: 0.4,
      detectors: [{ type: 'heuristic' }],
    });
    const path = join(dir, 'ensemble.json');
    writeFileSync(path, JSON.stringify((original as { toJSON(): unknown }).toJSON()));
    const loaded = await detectorFromFile(path);
    const [a, b] = [await original.detect(transcript), await loaded.detect(transcript)];
    expect(b.score).toBe(a.score);
    expect(b.label).toBe(a.label);
  });

  it('loads a single saved detector', async () => {
    const path = join(dir, 'heuristic.json');
    writeFileSync(path, JSON.stringify(new HeuristicDetector({ threshold: 0.7 }).toJSON()));
    const loaded = await detectorFromFile(path);
    expect(loaded).toBeInstanceOf(HeuristicDetector);
    expect((await loaded.detect(transcript)).detector).toBe('heuristic');
    // Saved again by an editor that writes a byte-order mark: loads the same.
    writeFileSync(path, `\uFEFF${JSON.stringify(new HeuristicDetector({ threshold: 0.7 }).toJSON())}`);
    expect(await detectorFromFile(path)).toBeInstanceOf(HeuristicDetector);
  });

  it('says what to do for a missing file, bad JSON and JSON that is no detector', async () => {
    await expect(detectorFromFile(join(dir, 'nope.json'))).rejects.toSatisfy(
      (e: unknown) =>
        BotlensError.isInstance(e) && e.code === 'READ_FAILED' && /botlens fit --out/.test(e.message),
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    await expect(detectorFromFile(bad)).rejects.toSatisfy(
      (e: unknown) => BotlensError.isInstance(e) && e.code === 'READ_FAILED',
    );
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ hello: 'world' }));
    await expect(detectorFromFile(other)).rejects.toSatisfy(
      (e: unknown) => InvalidOptionsError.isInstance(e) && /no "kind"/.test(e.message),
    );
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ kind: 'telepathy' }));
    await expect(detectorFromFile(unknown)).rejects.toSatisfy((e: unknown) =>
      InvalidOptionsError.isInstance(e),
    );
  });
});
