/**
 * `botlens score` never drops a failing ensemble member silently: real child processes, real files, a real model
 * folder whose ONNX file is garbage (built in a temp folder from the hf-tiny NLI fixture).
 */
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ScoreRecord } from '../../src/corpus/types.js';
import { runCli } from '../helpers/run-cli.js';
import { CONVAI_DIR, describeWithShared, HAS_SHARED, HF_TINY } from '../helpers/shared.js';

const LINES = 6;
const FAILED = new RegExp(
  `^botlens: detector "nli" failed on ${LINES} of ${LINES} lines: ONNX Runtime could not load .+$`,
  'm',
);
const PARTIAL =
  /botlens: partial result: 1 detector\(s\) failed; .+ holds every line, .+pass --allow-partial/;

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

async function records(out: string): Promise<ScoreRecord[]> {
  const text = await readFile(join(tmp, out), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ScoreRecord);
}

describeWithShared('score with an ensemble member that fails', () => {
  it('exits 3 without --allow-partial, names the member and its first error, and still writes every line', async () => {
    const r = await brokenEnsemble('a.jsonl', '--workers', '0');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(FAILED);
    expect(r.stderr).toMatch(PARTIAL);
    expect(r.stdout).toMatch(new RegExp(`^scored ${LINES}, rejected 0`));
    const recs = await records('a.jsonl');
    expect(recs.map((x) => x.line)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const rec of recs)
      expect(rec.members.find((m) => m.detector === 'nli')?.error).toMatch(/ONNX Runtime/);
    // --resume with the member still broken scores its lines again, and says so again.
    const again = await brokenEnsemble('a.jsonl', '--workers', '0', '--resume');
    expect(again.code, again.stderr).toBe(3);
    expect(again.stdout).toMatch(
      /^scored 6 \(6 again, where a member had failed\), rejected 0 \(resumed after line 6\)/,
    );
    expect(again.stderr).toMatch(FAILED);
    expect(again.stderr).toMatch(/then run the same command with --resume/);
    expect(await records('a.jsonl')).toEqual(recs);
  });

  it('once the member is fixed, --resume scores the lines it failed on again: the file an unbroken run writes', async () => {
    const fixable = join(tmp, 'fixable-nli');
    await cp(broken, fixable, { recursive: true });
    const ensemble = ['--detectors', 'heuristic,nli', '--model', `nli=${fixable}`, '--workers', '1'];
    expect((await score('g.jsonl', ...ensemble)).code).toBe(3);
    await cp(join(HF_TINY, 'tiny-bert-nli', 'onnx', 'model.onnx'), join(fixable, 'onnx', 'model.onnx'));
    const r = await score('g.jsonl', ...ensemble, '--resume');
    // Before: "scored 0, rejected 0 (resumed after line 6)", exit 0, every line still holding the error.
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^scored 6 \(6 again, where a member had failed\), rejected 0 \(resumed after line 6\)/,
    );
    expect((await score('h.jsonl', ...ensemble)).code).toBe(0);
    expect(await readFile(join(tmp, 'g.jsonl'), 'utf8')).toBe(await readFile(join(tmp, 'h.jsonl'), 'utf8'));
    for (const rec of await records('g.jsonl'))
      expect(rec.members.every((m) => m.error === undefined)).toBe(true);
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
    expect(r.stderr).toMatch(FAILED);
    expect(r.stderr).toMatch(PARTIAL);
    expect(await records('c.jsonl')).toHaveLength(LINES);
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
