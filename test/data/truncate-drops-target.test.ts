import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { limitTranscript } from '../../src/data/transcript-limits.js';
import { createServer } from '../../src/server/app.js';
import { runCli } from '../helpers/run-cli.js';
import { thrownTranscriptIssues } from '../helpers/transcript-issues.js';
import { useWorkDir } from '../helpers/work-dir.js';
import { heuristicEnsemble } from '../server/start-server.js';

/** A valid chat: participant1 speaks first, then the last `tail` messages are all participant2's. */
function chat(tail: number, target: string | null = 'participant1') {
  const messages = [
    { speaker: 'participant1', text: 'hi there' },
    { speaker: 'participant2', text: 'hello' },
    ...Array.from({ length: tail }, (_, i) => ({ speaker: 'participant2', text: `more ${i}` })),
  ];
  return target === null ? { messages } : { target, messages };
}

const limits = { limits: { maxMessages: 5 }, truncate: true };

const issuesOf = thrownTranscriptIssues;

describe('truncation that drops every message of the target says so', () => {
  it('limitTranscript (the library, detect --truncate): no "use one of" another speaker', () => {
    const [issue] = issuesOf(() => limitTranscript(chat(8), limits));
    expect(issue!.path).toBe('target');
    expect(issue!.message).toBe(
      'target "participant1" sent none of the last 5 messages that truncation kept (its messages are all among ' +
        'the 5 dropped before them): raise maxMessages (--max-messages on the command line, server.maxMessages ' +
        'in the service config) or do not truncate',
    );
    // A target that never spoke at all keeps the old advice.
    expect(issuesOf(() => limitTranscript(chat(8, 'nobody'), limits))[0]!.message).toMatch(
      /"nobody" sent no message: use one of/,
    );
  });

  it('the JSONL reader (eval and score --truncate), under the line and field', () => {
    const line = JSON.stringify({ ...chat(8), label: 'human' });
    const [issue] = issuesOf(() => parseTranscriptsJsonl(line, 'dev.jsonl', limits));
    expect(issue!.path).toBe('dev.jsonl:1 target');
    expect(issue!.message).toMatch(
      /^target "participant1" sent none of the last 5 messages that truncation kept/,
    );
    expect(issue!.message).not.toContain('use one of');
  });

  it('a transcript of several speakers with no target is not judged as the one speaker truncation kept', () => {
    const [issue] = issuesOf(() => limitTranscript(chat(8, null), limits));
    expect(issue!.path).toBe('target');
    expect(issue!.message).toMatch(/^target is missing and the transcript has more than one speaker/);
    const line = JSON.stringify({ ...chat(8, null), label: 'human' });
    expect(issuesOf(() => parseTranscriptsJsonl(line, 'dev.jsonl', limits))[0]!.message).toMatch(
      /target is missing/,
    );
  });

  it('the service with truncate: 400 with the same words', async () => {
    const { app } = await createServer(heuristicEnsemble(), { truncate: true, maxMessages: 5 });
    try {
      const r = await app.inject({ method: 'POST', url: '/v1/detect', payload: chat(8) });
      expect(r.statusCode).toBe(400);
      expect(r.body).toContain('sent none of the last 5 messages that truncation kept');
      expect(r.body).not.toContain('use one of');
    } finally {
      await app.close();
    }
  });
});

describe('score --truncate stopping at such a line', () => {
  const work = useWorkDir('botlens-truncate-target-');

  it('advises a larger --max-messages, not fixing the line, and --resume then scores it', async () => {
    const corpus = work.path('corpus.jsonl');
    const out = work.path('scores.jsonl');
    writeFileSync(corpus, `${JSON.stringify(chat(1))}\n${JSON.stringify(chat(8))}\n`);
    // score CORPUS --out OUT --truncate --max-messages N --workers 0, and any more flags.
    const score = (maxMessages: number, ...more: string[]) =>
      runCli([
        'score',
        corpus,
        '--out',
        out,
        '--truncate',
        '--max-messages',
        `${maxMessages}`,
        '--workers',
        '0',
        ...more,
      ]);
    const stopped = await score(5);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(
      ':2: target: target "participant1" sent none of the last 5 messages that truncation kept',
    );
    expect(stopped.stderr).toContain(
      '. Raise --max-messages so the target keeps a message and continue with --resume, or pass --on-invalid skip',
    );
    expect(stopped.stderr).not.toContain('Fix the line');
    // A line that is itself wrong keeps "Fix the line".
    const bad = work.path('bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ target: 'x', messages: [] })}\n`);
    const fix = await runCli(['score', bad, '--out', work.path('bad-scores.jsonl'), '--workers', '0']);
    expect(fix.code).toBe(1);
    expect(fix.stderr).toContain('. Fix the line and continue with --resume');
    const resumed = await score(10, '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  }, 60_000);
});
