/**
 * An empty transcript input (a file with nothing in it, or `detect -` with nothing piped) is named as empty, not
 * as "not valid JSON", and the message names standard input rather than a file when it was stdin.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readTranscriptJson } from '../../src/data/read-transcripts.js';
import { runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

describe('an empty transcript input', () => {
  const work = useWorkDir('botlens-empty-input-');

  it('is named as an empty file by the library, and bad JSON still as bad JSON', async () => {
    await writeFile(work.path('empty.json'), ' \n');
    await expect(readTranscriptJson(work.path('empty.json'))).rejects.toMatchObject({
      name: 'InvalidTranscriptError',
      message: expect.stringContaining('file is empty: expected one transcript as JSON'),
    });
    await writeFile(work.path('bad.json'), '{"messages": [');
    await expect(readTranscriptJson(work.path('bad.json'))).rejects.toMatchObject({
      message: expect.stringContaining('file is not valid JSON'),
    });
  });

  it('is named as empty standard input by `botlens detect -`', async () => {
    const r = await runCli(['detect', '-'], { input: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('-: standard input is empty: expected one transcript as JSON');
    expect(r.stderr).not.toContain('file is not valid JSON');
  });
});
