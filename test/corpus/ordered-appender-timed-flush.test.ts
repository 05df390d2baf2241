/**
 * `OrderedAppender` gathers lines into writes of up to 64 KiB, but writes a line at most about 1 s after it was
 * pushed: a slow run's finished records reach the file (a `kill -9` then loses at most the last second), in whole
 * lines, and the scores and rejects files still each hold a prefix of the run. Real files.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrderedAppender } from '../../src/corpus/output-file.js';

/** Reads `path` until it holds `lines` lines, for at most `ms`; its text then. */
async function readWhenItHolds(path: string, lines: number, ms: number): Promise<string> {
  let text = '';
  for (const until = Date.now() + ms; Date.now() < until; ) {
    text = readFileSync(path, 'utf8');
    if (text.split('\n').length > lines) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return text;
}

describe('OrderedAppender writes a line at most about 1 s after it was pushed', () => {
  it('without 64 KiB of lines, and in order across the scores and rejects files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-appender-'));
    const out = join(dir, 'scores.jsonl');
    const rejects = join(dir, 'rejects.jsonl');
    const files = await OrderedAppender.open(out, rejects, true);
    try {
      await files.push(0, { line: 1, score: 0.5 });
      await files.push(0, { line: 2, score: 0.25 });
      const pushed = Date.now();
      expect(readFileSync(out, 'utf8')).toBe(''); // gathered, not written line by line
      expect(await readWhenItHolds(out, 2, 5000)).toBe('{"line":1,"score":0.5}\n{"line":2,"score":0.25}\n');
      expect(Date.now() - pushed).toBeLessThan(2500);
      // A reject, then a score: each waits for its timer or the switch of file, never cut nor reordered.
      await files.push(1, { line: 3, reason: 'bad' });
      await files.push(0, { line: 4, score: 1 });
      expect(readFileSync(rejects, 'utf8')).toBe('{"line":3,"reason":"bad"}\n');
      expect(await readWhenItHolds(out, 3, 5000)).toBe(
        '{"line":1,"score":0.5}\n{"line":2,"score":0.25}\n{"line":4,"score":1}\n',
      );
    } finally {
      await files.close();
    }
    expect(readFileSync(out, 'utf8').split('\n')).toHaveLength(4);
  });
});
