/**
 * `messages` given as a string (or another value with a length) is reported as not an array, once: its length
 * is not counted as messages ("has more than 200 messages: keep the last 200 with --truncate").
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { checkTranscript } from '../src/core/checked-transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { runCli } from './helpers/run-cli.js';
import { useWorkDir } from './helpers/work-dir.js';
import { heuristicEnsemble, startServer } from './server/start-server.js';

const work = useWorkDir('botlens-messages-string-');
const ARRAY_ISSUE = 'messages must be an array of { speaker, text, timestamp? }';

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTranscriptError);
    return [...(err as InvalidTranscriptError).issues];
  }
  throw new Error('expected an InvalidTranscriptError');
}

describe('messages that are not an array', () => {
  it('give one issue in the library, however long the string (or an object with a length)', () => {
    for (const messages of ['a'.repeat(300), '', { length: 500 }]) {
      for (const check of [validateTranscript, checkTranscript]) {
        expect(issuesOf(() => check({ target: 'x', messages } as never))).toEqual([
          { path: 'messages', message: ARRAY_ISSUE },
        ]);
      }
    }
  });

  it('give one issue on the command line, with or without --truncate, and in the service', async () => {
    const file = work.path('string.json');
    await writeFile(file, JSON.stringify({ target: 'x', messages: 'a'.repeat(300) }));
    for (const extra of [[], ['--truncate']]) {
      const r = await runCli(['detect', file, ...extra]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(ARRAY_ISSUE);
      expect(r.stderr).not.toContain('more than');
    }
    const { post } = await startServer(heuristicEnsemble());
    const r = await post('/v1/detect', { target: 'x', messages: 'a'.repeat(300) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { issues: unknown[] }).issues).toEqual([
      { path: 'messages', message: ARRAY_ISSUE },
    ]);
  }, 60_000);
});
