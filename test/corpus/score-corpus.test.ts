import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoreCorpus } from '../../src/corpus/score-corpus.js';
import { writeScores } from '../../src/corpus/score-to-file.js';
import type { ScoreOutcome } from '../../src/corpus/types.js';
import { BotlensError } from '../../src/errors/botlens-error.js';
import { HEURISTIC, syntheticCorpus } from './corpus-fixture.js';

async function collect(it: AsyncIterable<ScoreOutcome>): Promise<ScoreOutcome[]> {
  const out: ScoreOutcome[] = [];
  for await (const o of it) out.push(o);
  return out;
}

function corpusWithBadLines(): string[] {
  const lines = syntheticCorpus(40);
  lines.splice(5, 0, '{"target": "a", "messages": [');
  lines.splice(12, 0, '');
  lines.splice(20, 0, '{"target": "a", "messages": "not a list"}');
  lines.splice(30, 0, '[1, 2]');
  return lines;
}

describe('scoreCorpus', () => {
  it('yields one outcome per non-blank line, in input order, the same on two threads as in this thread', async () => {
    const lines = corpusWithBadLines();
    const local = await collect(scoreCorpus(lines, { detector: HEURISTIC, threads: 0 }));
    const threaded = await collect(scoreCorpus(lines, { detector: HEURISTIC, threads: 2, batchSize: 3 }));
    expect(threaded).toEqual(local);
    expect(local.map((o) => o.line)).toEqual(lines.flatMap((l, i) => (l.trim() === '' ? [] : [i + 1])));
    const rejects = local.filter((o) => 'reject' in o).map((o) => o.line);
    expect(rejects).toEqual([6, 21, 31]);
    const first = local[0]!;
    if (!('record' in first)) throw new Error('line 1 should be scored');
    expect(first.record).toMatchObject({ line: 1, id: 't0', label: expect.stringMatching(/^(bot|human)$/) });
    expect(first.record.members.map((m) => m.detector)).toEqual(['heuristic']);
    expect(first.record.evidence).toBeUndefined();
    const bad = local.find((o) => o.line === 21)!;
    expect('reject' in bad && bad.reject.reason).toMatch(/messages/);
  });

  it('includes evidence on request and skips lines up to afterLine', async () => {
    const lines = syntheticCorpus(10);
    const out = await collect(
      scoreCorpus(lines, { detector: HEURISTIC, threads: 0, evidence: true, afterLine: 7 }),
    );
    expect(out.map((o) => o.line)).toEqual([8, 9, 10]);
    const r = out[0]!;
    expect('record' in r && r.record.evidence?.length).toBeGreaterThan(0);
  });

  it('rejects bad options with typed errors', async () => {
    await expect(collect(scoreCorpus([], { detector: HEURISTIC, threads: -1 }))).rejects.toThrow(/threads/);
    await expect(collect(scoreCorpus([], { detector: HEURISTIC, batchSize: 0 }))).rejects.toThrow(
      /batchSize/,
    );
  });
  it('says a corpus file it cannot read in the words every command uses, not a bare ENOENT', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'botlens-corpus-missing-')), 'missing.jsonl');
    for (const threads of [0, 1]) {
      const e = await collect(scoreCorpus(missing, { detector: HEURISTIC, threads })).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(BotlensError.isInstance(e) && e.code, String(e)).toBe('READ_FAILED');
      expect((e as Error).message).toBe(`Cannot read ${missing} (ENOENT): check the path and permissions.`);
    }
  });
});

describe('writeScores', () => {
  function setup(lines: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-score-'));
    const input = join(dir, 'corpus.jsonl');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const outcomes = (afterLine: number) =>
      scoreCorpus(input, { detector: HEURISTIC, threads: 0, afterLine });
    return { dir, input, out: join(dir, 'scores.jsonl'), outcomes };
  }

  it('stops at the first invalid line by default, writing it nowhere, and resumes from it once fixed', async () => {
    const lines = corpusWithBadLines();
    const { input, out, outcomes } = setup(lines);
    await expect(writeScores(input, outcomes, { out })).rejects.toMatchObject({ code: 'INVALID_LINE' });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(5);
    expect(existsSync(`${out}.rejects.jsonl`)).toBe(false); // created only when a line is rejected
    lines[5] = syntheticCorpus(1)[0]!;
    writeFileSync(input, `${lines.join('\n')}\n`);
    const s = await writeScores(input, outcomes, { out, resume: true, onInvalid: 'skip' });
    expect(s).toMatchObject({ resumedAfterLine: 5, rejected: 2 });
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number });
    expect(rows.map((r) => r.line)).toEqual(
      lines.flatMap((l, i) => (l.trim() === '' || i === 20 || i === 30 ? [] : [i + 1])),
    );
  });

  it('writes invalid lines to the rejects file with --on-invalid skip and summarises the run', async () => {
    const { input, out, outcomes } = setup(corpusWithBadLines());
    const s = await writeScores(input, outcomes, { out, onInvalid: 'skip' });
    expect(s).toMatchObject({ scored: 40, rejected: 3, resumedAfterLine: 0, lastLine: 44 });
    const rejects = readFileSync(`${out}.rejects.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects.map((r: { line: number }) => r.line)).toEqual([6, 21, 31]);
    expect(rejects[0].reason).toMatch(/JSON/);
  });

  it('never overwrites: an existing output needs resume, and no output may be the input', async () => {
    const { input, out, outcomes } = setup(syntheticCorpus(3));
    await writeScores(input, outcomes, { out });
    await expect(writeScores(input, outcomes, { out })).rejects.toThrow(
      /continue it with resume: true or remove it/,
    );
    await expect(writeScores(input, outcomes, { out: input })).rejects.toThrow(/different files/);
    const again = await writeScores(input, outcomes, { out, resume: true });
    expect(again).toMatchObject({ scored: 0, resumedAfterLine: 3 });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('cuts a half-written last line on resume and writes that line again', async () => {
    const { input, out, outcomes } = setup(syntheticCorpus(6));
    await writeScores(input, outcomes, { out });
    const full = readFileSync(out, 'utf8');
    const rows = full.trim().split('\n');
    writeFileSync(out, `${rows.slice(0, 3).join('\n')}\n${rows[3]!.slice(0, 20)}`);
    const s = await writeScores(input, outcomes, { out, resume: true });
    expect(s).toMatchObject({ resumedAfterLine: 3, scored: 3 });
    expect(readFileSync(out, 'utf8')).toBe(full);
  });
});
