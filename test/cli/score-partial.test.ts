/**
 * `botlens score` never drops a failing ensemble member silently: real child processes, real files, a real model
 * folder whose ONNX file is garbage (built in a temp folder from the hf-tiny NLI fixture).
 */
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { CONVAI_DIR, describeWithShared, HAS_SHARED, HF_TINY } from '../helpers/shared.js';

const LINES = 6;
const FAILED = new RegExp(
  `^botlens: detector "nli" failed on ${LINES} of ${LINES} lines: ONNX Runtime could not load .+$`,
  'm',
);
/** The member that cannot load, said before the corpus is read (the same line as detect's). */
const FAILED_TO_LOAD = /^botlens: detector "nli" failed: ModelLoadError: ONNX Runtime could not load .+$/m;
const NOTHING_SCORED =
  /^botlens: nothing scored: 1 detector\(s\) failed on a trial transcript before the corpus was read\. Fix them, or pass --allow-partial to score from the others\.$/m;

let tmp: string;
let corpus: string;
let broken: string;

beforeAll(async () => {
  if (!HAS_SHARED) return;
  tmp = await mkdtemp(join(tmpdir(), 'botlens-score-partial-'));
  broken = join(tmp, 'broken-nli');
  await cp(join(HF_TINY, 'tiny-bert-nli'), broken, { recursive: true });
  await writeFile(join(broken, 'onnx', 'model.onnx'), 'garbage\n');
  corpus = join(tmp, 'small.jsonl');
  const lines = readFileSync(join(CONVAI_DIR, 'train.jsonl'), 'utf8').split('\n').slice(0, LINES);
  await writeFile(corpus, `${lines.join('\n')}\n`);
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function score(out: string, ...extra: string[]) {
  return runCli(['score', corpus, '--out', join(tmp, out), '--no-progress', ...extra]);
}

function brokenEnsemble(out: string, ...extra: string[]) {
  return score(out, '--detectors', 'heuristic,nli', '--model', `nli=${broken}`, ...extra);
}

describeWithShared('score with an ensemble member that fails', () => {
  it('exits 3 without --allow-partial before reading the corpus, naming the member and its load error', async () => {
    // Before: every line was scored without the member (and written), then the failure was reported.
    const r = await brokenEnsemble('a.jsonl', '--workers', '0');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(FAILED_TO_LOAD);
    expect(r.stderr).toMatch(NOTHING_SCORED);
    expect(r.stdout).toBe('');
    await expect(readFile(join(tmp, 'a.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('--resume on a file holding failed lines refuses before scoring: how many, the first, what to do', async () => {
    expect((await brokenEnsemble('g.jsonl', '--workers', '0', '--allow-partial')).code).toBe(0);
    const before = await readFile(join(tmp, 'g.jsonl'), 'utf8');
    // Before: the 6 lines were scored again and the file rewritten; earlier still, a silent "scored 0", exit 0.
    const r = await brokenEnsemble('g.jsonl', '--workers', '0', '--resume');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /g\.jsonl holds 6 line\(s\) whose record carries a failed member's error \(the first: input line 1\); a resume cannot score them again\. Fix the member, then remove .+g\.jsonl and score the corpus again, or pass --allow-partial/,
    );
    expect(await readFile(join(tmp, 'g.jsonl'), 'utf8')).toBe(before);
  });

  it('--resume --allow-partial keeps them and goes on after the last line, saying so', async () => {
    expect((await brokenEnsemble('h.jsonl', '--workers', '0', '--allow-partial')).code).toBe(0);
    const before = await readFile(join(tmp, 'h.jsonl'), 'utf8');
    const r = await brokenEnsemble('h.jsonl', '--workers', '0', '--resume', '--allow-partial', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^botlens score: kept 6 line\(s\) of .+h\.jsonl from an earlier run whose record holds a failed member's error \(the first: input line 1\), as --allow-partial asks$/m,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({
      scored: 0,
      keptFailed: 6,
      keptFailedFirstLine: 1,
      failedMembers: [],
      resumedAfterLine: 6,
    });
    expect(await readFile(join(tmp, 'h.jsonl'), 'utf8')).toBe(before);
  });

  it('exits 0 with --allow-partial after the same stderr line, and --json carries failedMembers', async () => {
    const r = await brokenEnsemble('b.jsonl', '--workers', '0', '--allow-partial', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(FAILED);
    expect(r.stderr).not.toMatch(/partial result/);
    const summary = JSON.parse(r.stdout) as {
      scored: number;
      failedMembers: { detector: string; lines: number; firstLine: number; firstError: string }[];
    };
    expect(summary.scored).toBe(LINES);
    expect(summary.failedMembers).toEqual([
      { detector: 'nli', lines: LINES, firstLine: 1, firstError: expect.stringMatching(/ONNX Runtime/) },
    ]);
  });

  it('reports the same on worker threads (--workers 1)', async () => {
    const r = await brokenEnsemble('c.jsonl', '--workers', '1');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(FAILED_TO_LOAD);
    expect(r.stderr).toMatch(NOTHING_SCORED);
    await expect(readFile(join(tmp, 'c.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
    const p = await brokenEnsemble('d.jsonl', '--workers', '1', '--allow-partial');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toMatch(FAILED);
  });

  it('a run in which every member runs is unchanged: exit 0, nothing on stderr', async () => {
    const r = await score('e.jsonl', '--workers', '0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const j = await score('f.jsonl', '--workers', '1', '--json');
    expect(j.code, j.stderr).toBe(0);
    expect(j.stderr).toBe('');
    expect((JSON.parse(j.stdout) as { failedMembers: unknown[] }).failedMembers).toEqual([]);
  });
});
