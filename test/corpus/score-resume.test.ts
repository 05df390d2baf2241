import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scoreCorpus } from '../../src/corpus/score-corpus.js';
import { writeScores } from '../../src/corpus/score-to-file.js';
import type { ScoreRecord } from '../../src/corpus/types.js';
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

  /**
   * A scorer of input lines 1..`last` whose member "b" fails on `failing`; it skips the lines `wanted` leaves out
   * (unless `ignoreWanted`), records the lines it scores in `asked`, and throws at `throwAt`.
   */
  function scorer(
    last: number,
    failing: readonly number[],
    asked: number[] = [],
    opts: { ignoreWanted?: boolean; throwAt?: number } = {},
  ) {
    return (afterLine: number, _onBytes: (b: number) => void, wanted?: (line: number) => boolean) =>
      (async function* () {
        for (let line = afterLine + 1; line <= last; line++) {
          if (wanted && !opts.ignoreWanted && !wanted(line)) continue;
          if (line === opts.throwAt) throw new Error('the scorer died');
          asked.push(line);
          yield { line, record: record(line, failing.includes(line)) };
        }
      })();
  }

  function files() {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-rescore-'));
    const input = join(dir, 'corpus.jsonl');
    writeFileSync(input, 'the input is never read here\n');
    return { dir, input, out: join(dir, 'scores.jsonl') };
  }

  const fixed = jsonl([1, 2, 3, 4, 5, 6, 7, 8].map((l) => record(l, false)));

  it('scores again only the lines a member failed on, in place, then goes on after the last line', async () => {
    const { dir, input, out } = files();
    const first = await writeScores(input, scorer(6, [2, 5]), { out });
    expect(first.failedMembers).toEqual([
      { detector: 'b', lines: 2, firstLine: 2, firstError: 'b could not load' },
    ]);
    // The member is fixed and the corpus grew by two lines.
    const asked: number[] = [];
    const resumed = await writeScores(input, scorer(8, [], asked), { out, resume: true });
    // Before: lines 7 and 8 only, and lines 2 and 5 kept their error for good.
    expect(asked).toEqual([2, 5, 7, 8]);
    expect(readFileSync(out, 'utf8')).toBe(fixed);
    expect(resumed).toMatchObject({
      scored: 4,
      rescored: 2,
      resumedAfterLine: 6,
      lastLine: 8,
      failedMembers: [],
    });
    expect(readdirSync(dir).sort()).toEqual(['corpus.jsonl', 'scores.jsonl', 'scores.jsonl.rejects.jsonl']);
  });

  it('gives the same file when the scorer scores every line anyway (the others are ignored)', async () => {
    const { input, out } = files();
    await writeScores(input, scorer(6, [2, 5]), { out });
    const asked: number[] = [];
    const resumed = await writeScores(input, scorer(8, [], asked, { ignoreWanted: true }), {
      out,
      resume: true,
    });
    expect(asked).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(readFileSync(out, 'utf8')).toBe(fixed);
    expect(resumed).toMatchObject({ scored: 4, rescored: 2 });
  });

  it('a member that still fails is counted again, its lines rewritten with the new error', async () => {
    const { input, out } = files();
    await writeScores(input, scorer(6, [2, 5]), { out });
    const resumed = await writeScores(input, scorer(6, [2, 5]), { out, resume: true });
    expect(resumed).toMatchObject({ scored: 2, rescored: 2 });
    expect(resumed.failedMembers).toEqual([
      { detector: 'b', lines: 2, firstLine: 2, firstError: 'b could not load' },
    ]);
    expect(readFileSync(out, 'utf8')).toBe(
      jsonl([1, 2, 3, 4, 5, 6].map((l) => record(l, l === 2 || l === 5))),
    );
  });

  it('a run that dies while scoring them again leaves the scores file as it was, and no temporary file', async () => {
    const { dir, input, out } = files();
    await writeScores(input, scorer(6, [2, 5]), { out });
    const before = readFileSync(out, 'utf8');
    await expect(
      writeScores(input, scorer(8, [], [], { throwAt: 5 }), { out, resume: true }),
    ).rejects.toThrow('the scorer died');
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(['corpus.jsonl', 'scores.jsonl', 'scores.jsonl.rejects.jsonl']);
    // The next resume does it all.
    await writeScores(input, scorer(8, []), { out, resume: true });
    expect(readFileSync(out, 'utf8')).toBe(fixed);
  });
});
