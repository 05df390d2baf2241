/**
 * A transcript that is JSON `null` is refused as `[1]` or `5` are: an InvalidTranscriptError at `(root)`, never a
 * TypeError from the truncation check, whether it comes from a file, standard input, a JSONL line or a service
 * request.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTranscriptJson, readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { limitTranscript } from '../../src/data/transcript-limits.js';
import { InvalidTranscriptError } from '../../src/errors/invalid-transcript-error.js';
import { createServer } from '../../src/server/app.js';
import { runCli } from '../helpers/run-cli.js';
import { thrownTranscriptIssues } from '../helpers/transcript-issues.js';
import { useWorkDir } from '../helpers/work-dir.js';
import { heuristicEnsemble } from '../server/start-server.js';

const ROOT_ISSUE = { path: '', message: 'a transcript must be an object { messages, target? }' };

describe('a null transcript', () => {
  const work = useWorkDir('botlens-null-root-');

  it('limitTranscript refuses it at (root), with and without truncate', () => {
    expect(thrownTranscriptIssues(() => limitTranscript(null, {}))).toEqual([ROOT_ISSUE]);
    expect(thrownTranscriptIssues(() => limitTranscript(null, { truncate: true }))).toEqual([ROOT_ISSUE]);
  });

  it('readTranscriptJson of a file holding null throws InvalidTranscriptError, not TypeError', async () => {
    const file = work.path('null.json');
    writeFileSync(file, 'null\n');
    const err = await readTranscriptJson(file).catch((e: unknown) => e);
    expect(InvalidTranscriptError.isInstance(err)).toBe(true);
    expect((err as InvalidTranscriptError).issues).toEqual([ROOT_ISSUE]);
  });

  it('a JSONL line holding null names the line', async () => {
    const file = work.path('null.jsonl');
    writeFileSync(file, 'null\n');
    const err = await readTranscriptsJsonl(file).catch((e: unknown) => e);
    expect(InvalidTranscriptError.isInstance(err)).toBe(true);
    expect((err as InvalidTranscriptError).issues[0]!.path).toBe(`${file}:1`);
  });

  it('detect - and detect FILE print the (root) issue and exit 1, with no stack', async () => {
    const file = work.path('null.json');
    writeFileSync(file, 'null');
    for (const r of [await runCli(['detect', '-'], { input: 'null\n' }), await runCli(['detect', file])]) {
      expect(r.stderr).toBe(
        'botlens: Invalid transcript:\n  (root): a transcript must be an object { messages, target? }\n',
      );
      expect(r.code).toBe(1);
    }
  });

  it('the service with truncate answers 400 for a null body and a null batch item', async () => {
    const { app } = await createServer(heuristicEnsemble(), { truncate: true, maxMessages: 5 });
    try {
      for (const [url, payload] of [
        ['/v1/detect', 'null'],
        ['/v1/detect/batch', '{"transcripts":[null]}'],
      ] as const) {
        const res = await app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json' },
          payload,
        });
        expect(res.statusCode).toBe(400);
      }
    } finally {
      await app.close();
    }
  });
});
