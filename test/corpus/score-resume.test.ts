import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkFailedLines } from '../../src/corpus/failed-lines.js';
import { FailedLinesError } from '../../src/corpus/failed-lines-error.js';
import { scoreCorpus } from '../../src/corpus/score-corpus.js';
import { writeScores, writeScoresWith } from '../../src/corpus/score-to-file.js';
import type { ScoreRecord } from '../../src/corpus/types.js';
import { BotlensError } from '../../src/errors/botlens-error.js';
import { HEURISTIC, syntheticCorpus } from './corpus-fixture.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exit(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((done) => child.on('exit', (code) => done({ code, stderr })));
}

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('botlens score --resume', () => {
  it('refuses to resume from an output with more lines than the corpus (not the corpus that run scored)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-resume-short-'));
    const long = join(dir, 'long.jsonl');
    const short = join(dir, 'short.jsonl');
    writeFileSync(long, `${syntheticCorpus(12).join('\n')}\n`);
    writeFileSync(short, `${syntheticCorpus(5).join('\n')}\n`);
    const out = join(dir, 'scores.jsonl');
    const score = (input: string, resume: boolean) =>
      writeScores(
        input,
        (after) => scoreCorpus(input, { detector: HEURISTIC, threads: 0, afterLine: after }),
        {
          out,
          resume,
        },
      );
    await score(long, false);
    const before = readFileSync(out, 'utf8');
    // Before: "scored 0 (resumed after line 12)", as if the run had finished.
    const err = await score(short, true).catch((e: unknown) => e);
    expect(BotlensError.isInstance(err) && err.code).toBe('READ_FAILED');
    expect((err as Error).message).toContain(
      `${out} holds results up to input line 12, but ${short} has fewer lines: it is not the corpus that run scored`,
    );
    expect(readFileSync(out, 'utf8')).toBe(before);
    // The corpus that started it: a finished run resumes to nothing, as before.
    expect(await score(long, true)).toMatchObject({ scored: 0, resumedAfterLine: 12 });
  });

  it('continues a run killed mid-way with no duplicate and no missing line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-resume-'));
    const lines = syntheticCorpus(1500);
    lines.splice(700, 0, 'not json');
    const input = join(dir, 'corpus.jsonl');
    writeFileSync(input, `${lines.join('\n')}\n`);

    // The reference: one uninterrupted run in this process.
    const ref = join(dir, 'ref.jsonl');
    await writeScores(
      input,
      (after) => scoreCorpus(input, { detector: HEURISTIC, threads: 0, afterLine: after }),
      {
        out: ref,
        onInvalid: 'skip',
      },
    );

    const out = join(dir, 'scores.jsonl');
    const args = [
      'score',
      input,
      '--out',
      out,
      '--on-invalid',
      'skip',
      '--workers',
      '1',
      '--batch-size',
      '4',
    ];
    const first = cli(args);
    const firstExit = exit(first);
    await until(() => existsSync(out) && statSync(out).size > 20_000, 'the first run to write some lines');
    first.kill('SIGKILL');
    const killed = await firstExit;
    expect(killed.code).toBeNull(); // it was killed, not finished
    const partial = readFileSync(out, 'utf8').split('\n').length - 1;
    expect(partial).toBeLessThan(1500);

    const second = await exit(cli([...args, '--resume', '--json']));
    expect(second.code, second.stderr).toBe(3); // finished; exit 3 because one line was rejected
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(ref, 'utf8'));
    expect(readFileSync(`${out}.rejects.jsonl`, 'utf8')).toBe(readFileSync(`${ref}.rejects.jsonl`, 'utf8'));
  }, 180_000);
});

describe('writeScores resume after a member failed on some lines', () => {
  /** A record of `line`; member "b" failed on it when `failed`. */
  const record = (line: number, failed: boolean): ScoreRecord => ({
    line,
    id: line,
    score: 0.4,
    label: 'human',
    members: [
      { detector: 'a', score: 0.4, label: 'human' },
      failed
        ? { detector: 'b', score: null, label: null, error: 'b could not load' }
        : { detector: 'b', score: 0.4, label: 'human' },
    ],
  });
  const jsonl = (records: ScoreRecord[]): string => records.map((r) => `${JSON.stringify(r)}\n`).join('');

  /** A scorer of input lines 1..`last` whose member "b" fails on `failing`; it records the lines it scores in `asked`. */
  function scorer(last: number, failing: readonly number[], asked: number[] = []) {
    return (afterLine: number) =>
      (async function* () {
        for (let line = afterLine + 1; line <= last; line++) {
          asked.push(line);
          yield { line, record: record(line, failing.includes(line)) };
        }
      })();
  }

  function files() {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-failed-lines-'));
    const input = join(dir, 'corpus.jsonl');
    writeFileSync(input, 'the input is never read here\n');
    return { dir, input, out: join(dir, 'scores.jsonl') };
  }

  it('refuses by default, before scoring anything, saying how many lines, the first, and what to do', async () => {
    const { input, out } = files();
    const first = await writeScores(input, scorer(6, [2, 5]), { out });
    expect(first.failedMembers).toEqual([
      { detector: 'b', lines: 2, firstLine: 2, firstError: 'b could not load' },
    ]);
    const before = readFileSync(out, 'utf8');
    const asked: number[] = [];
    // Before: lines 2 and 5 scored again and the file rewritten (or, earlier, a silent mix with the new lines).
    const err = await writeScores(input, scorer(8, [], asked), { out, resume: true }).catch(
      (e: unknown) => e,
    );
    expect(FailedLinesError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ code: 'MEMBER_FAILED', out, lines: 2, firstLine: 2 });
    expect((err as Error).message).toMatch(/holds 2 line\(s\) .*input line 2.*remove .*failedLines: 'keep'/);
    expect(asked).toEqual([]);
    expect(readFileSync(out, 'utf8')).toBe(before);
  });

  it("failedLines: 'keep' goes on after the last line, keeping them, with honest counts", async () => {
    const { dir, input, out } = files();
    await writeScores(input, scorer(6, [2, 5]), { out });
    const asked: number[] = [];
    const resumed = await writeScores(input, scorer(9, [9], asked), {
      out,
      resume: true,
      failedLines: 'keep',
    });
    expect(asked).toEqual([7, 8, 9]); // never a rescore of the lines before
    expect(readFileSync(out, 'utf8')).toBe(
      jsonl([1, 2, 3, 4, 5, 6, 7, 8, 9].map((l) => record(l, l === 2 || l === 5 || l === 9))),
    );
    expect(resumed).toMatchObject({
      scored: 3,
      keptFailed: 2,
      keptFailedFirstLine: 2,
      resumedAfterLine: 6,
      lastLine: 9,
      // Only the lines scored in this run: line 9, not the kept 2 and 5.
      failedMembers: [{ detector: 'b', lines: 1, firstLine: 9, firstError: 'b could not load' }],
    });
    // No line was rejected, so no rejects file was created.
    expect(readdirSync(dir).sort()).toEqual(['corpus.jsonl', 'scores.jsonl']);
  });

  it('a file without such lines resumes as before, whatever failedLines says', async () => {
    const { input, out } = files();
    await writeScores(input, scorer(3, []), { out });
    const resumed = await writeScores(input, scorer(5, []), { out, resume: true });
    expect(resumed).toMatchObject({ scored: 2, keptFailed: 0, keptFailedFirstLine: 0, failedMembers: [] });
    expect(readFileSync(out, 'utf8')).toBe(jsonl([1, 2, 3, 4, 5].map((l) => record(l, false))));
  });

  it('a damaged line holding "error": is a READ_FAILED naming file:line, not a bare SyntaxError', async () => {
    const { input, out } = files();
    writeFileSync(
      out,
      `${jsonl([record(1, false)])}{"line":2,"members":[{"error": oops\n${jsonl([record(3, false)])}`,
    );
    const err = await writeScores(input, scorer(4, []), { out, resume: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BotlensError);
    expect(err).toMatchObject({ code: 'READ_FAILED' });
    expect((err as Error).message).toContain(`${out}:2: not a botlens score record`);
    expect((err as Error).message).toMatch(/Remove the file and score the corpus again/);
  });

  it('a partial last line holding "error": (a killed run) is cut as before, not called damaged', async () => {
    const { input, out } = files();
    writeFileSync(out, `${jsonl([record(1, false)])}{"line":2,"members":[{"detector":"b","error":"b co`);
    const resumed = await writeScores(input, scorer(3, []), { out, resume: true });
    expect(resumed).toMatchObject({ scored: 2, keptFailed: 0, resumedAfterLine: 1 });
    expect(readFileSync(out, 'utf8')).toBe(jsonl([1, 2, 3].map((l) => record(l, false))));
  });

  it('a damaged last line is a READ_FAILED saying what to do, not a bare SyntaxError', async () => {
    const { input, out } = files();
    for (const last of ['{"line":2,"members":[', '{"id":2}', 'null']) {
      writeFileSync(out, `${jsonl([record(1, false)])}${last}\n`);
      const err = await writeScores(input, scorer(4, []), { out, resume: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BotlensError);
      expect(err).toMatchObject({ code: 'READ_FAILED' });
      expect((err as Error).message).toMatch(/its last line is not a botlens record .*Remove the file/);
    }
  });

  it("takes the CLI's failed-lines check as found instead of reading the scores file again", async () => {
    const { input, out } = files();
    await writeScores(input, scorer(6, [2, 5]), { out });
    const found = await checkFailedLines(out, 'keep');
    expect(found).toEqual({ lines: 2, firstLine: 2 });
    // The count comes from the check passed in, as the CLI passes it (nothing writes the file in between).
    const resumed = await writeScoresWith(
      input,
      scorer(7, []),
      { out, resume: true, failedLines: 'keep' },
      {
        failedLinesChecked: found,
      },
    );
    expect(resumed).toMatchObject({ scored: 1, keptFailed: 2, keptFailedFirstLine: 2, resumedAfterLine: 6 });
    // Proof that it is not read again: a check that found nothing is taken as it is, though the file now
    // holds failed lines that a fresh check refuses.
    const trusted = await writeScoresWith(
      input,
      scorer(8, []),
      { out, resume: true },
      {
        failedLinesChecked: { lines: 0, firstLine: 0 },
      },
    );
    expect(trusted).toMatchObject({ scored: 1, keptFailed: 0, resumedAfterLine: 7 });
    await expect(writeScores(input, scorer(9, []), { out, resume: true })).rejects.toSatisfy(
      FailedLinesError.isInstance,
    );
  });

  it('an invalid failedLines is an InvalidOptionsError', async () => {
    const { input, out } = files();
    await expect(
      writeScores(input, scorer(1, []), { out, failedLines: 'rescore' as 'keep' }),
    ).rejects.toThrow(/Invalid option "failedLines": expected "refuse" or "keep", got "rescore"/);
  });
});
