import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateTranscript } from '../../src/core/validate.js';
import { scoreCorpus } from '../../src/corpus/score-corpus.js';
import type { ScoreOutcome } from '../../src/corpus/types.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { runCli } from '../helpers/run-cli.js';
import { HEURISTIC, syntheticCorpus } from './corpus-fixture.js';

async function collect(it: AsyncIterable<ScoreOutcome>): Promise<ScoreOutcome[]> {
  const out: ScoreOutcome[] = [];
  for await (const o of it) out.push(o);
  return out;
}

/** A 600-message line (300 exchanges), then short ones. */
const longChat = {
  id: 'long',
  target: 'target',
  messages: Array.from({ length: 600 }, (_, i) => ({
    speaker: i % 2 ? 'target' : 'other',
    text: i % 2 ? `Hello ! I like to read books . ${i}` : `so what about ${i}?`,
  })),
};
const LONG_LINES = [JSON.stringify(longChat), ...syntheticCorpus(6)];

const scoreOf = (o: ScoreOutcome | undefined) => (o && 'record' in o ? o.record.score : undefined);

describe('scoreCorpus limits and truncate', () => {
  it('refuses a 600-message line by default, scores it under raised limits (this thread and worker threads alike)', async () => {
    const plain = await collect(scoreCorpus(LONG_LINES, { detector: HEURISTIC, threads: 0 }));
    expect(plain[0]).toMatchObject({ reject: { reason: expect.stringMatching(/more than 200 messages/) } });
    const want = (await new HeuristicDetector().detect(validateTranscript(longChat, { maxMessages: 1000 })))
      .score;
    for (const threads of [0, 2]) {
      const raised = await collect(
        scoreCorpus(LONG_LINES, { detector: HEURISTIC, threads, limits: { maxMessages: 1000 } }),
      );
      expect(scoreOf(raised[0]), `threads ${threads}`).toBeCloseTo(want!, 12);
      expect(raised.slice(1)).toEqual(plain.slice(1));
    }
  }, 60_000);

  it('truncate keeps the last maxMessages messages (worker threads too); a bad limit is refused first', async () => {
    const cut = (
      await new HeuristicDetector().detect({ ...longChat, messages: longChat.messages.slice(-200) })
    ).score;
    for (const threads of [0, 1]) {
      const got = await collect(scoreCorpus(LONG_LINES, { detector: HEURISTIC, threads, truncate: true }));
      expect(scoreOf(got[0]), `threads ${threads}`).toBeCloseTo(cut!, 12);
      expect(got[0]).toMatchObject({ record: { id: 'long', truncatedFrom: 600 } });
      expect(got[1]).not.toHaveProperty('record.truncatedFrom');
    }
    await expect(
      collect(scoreCorpus(LONG_LINES, { detector: HEURISTIC, limits: { maxMessages: -1 } })),
    ).rejects.toBeInstanceOf(InvalidOptionsError);
  }, 60_000);
});

describe('botlens score --max-messages / --truncate', () => {
  it('scores a long line with --max-messages (threads and in-thread), cuts it with --truncate, rejects it without', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-score-limits-'));
    const input = join(dir, 'corpus.jsonl');
    writeFileSync(input, `${LONG_LINES.join('\n')}\n`);
    const cli = (out: string, ...flags: string[]) =>
      runCli(['score', input, '--out', join(dir, out), '--json', ...flags]);
    const first = (out: string) =>
      JSON.parse(readFileSync(join(dir, out), 'utf8').split('\n')[0]!) as { id: string; score: number };
    const plain = await cli('plain.jsonl', '--workers', '0', '--on-invalid', 'skip');
    expect(plain.code).toBe(3); // the long line is a reject
    expect(readFileSync(join(dir, 'plain.jsonl.rejects.jsonl'), 'utf8')).toMatch(/more than 200 messages/);
    const want = (await new HeuristicDetector().detect(validateTranscript(longChat, { maxMessages: 1000 })))
      .score!;
    for (const workers of ['0', '2']) {
      const r = await cli(`raised-${workers}.jsonl`, '--max-messages', '1000', '--workers', workers);
      expect(r.code, r.stderr).toBe(0);
      expect(first(`raised-${workers}.jsonl`)).toMatchObject({ id: 'long' });
      expect(first(`raised-${workers}.jsonl`).score).toBeCloseTo(want, 12);
    }
    const cut = await cli('cut.jsonl', '--truncate', '--workers', '0');
    expect(cut.code, cut.stderr).toBe(0);
    expect(first('cut.jsonl').id).toBe('long');
    const bad = await cli('bad.jsonl', '--max-messages', 'many');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--max-messages/);
  }, 120_000);
});
