/**
 * `score --workers N` is bounded: above {@link MAX_SCORE_WORKERS} a usage error (exit 2), never more threads than
 * the corpus has batches (each thread loads a detector: `--workers 1000` on 384 lines took 87 s against 1.3 s with
 * 2), and a note when N is more than the cores. Real child processes running the CLI from source, and the thread
 * count the command uses.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SCORE_WORKERS, scoreWorkerThreads } from '../../src/cli/score-workers.js';
import { runCli } from '../helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'botlens-workers-'));
const line = (i: number) =>
  JSON.stringify({ id: i, target: 'x', messages: [{ speaker: 'x', text: `hello there number ${i}` }] });
const corpus = join(tmp, 'corpus.jsonl');
writeFileSync(corpus, `${[0, 1, 2].map(line).join('\n')}\n`);
const noFinalNewline = join(tmp, 'no-final-newline.jsonl');
writeFileSync(noFinalNewline, [0, 1, 2, 3, 4].map(line).join('\n'));

describe('score --workers', () => {
  it(`above ${MAX_SCORE_WORKERS} is a usage error naming the range`, async () => {
    const r = await runCli(['score', corpus, '--out', join(tmp, 'big.jsonl'), '--workers', '1000']);
    expect(r.stderr).toMatch(/^botlens: error: option '--workers <n>' argument '1000' is invalid/);
    expect(r.stderr).toContain(`0 (this thread) to ${MAX_SCORE_WORKERS}`);
    expect(r.stderr).toContain('Run botlens score --help for usage.');
    expect(r.code).toBe(2);
  });

  it('starts no more threads than the corpus has batches', async () => {
    const notes: string[] = [];
    expect(await scoreWorkerThreads(corpus, 200, 1, (s) => notes.push(s))).toBe(3);
    expect(await scoreWorkerThreads(corpus, 200, 2, () => undefined)).toBe(2);
    expect(await scoreWorkerThreads(noFinalNewline, 200, 1, () => undefined)).toBe(5);
    expect(await scoreWorkerThreads(corpus, undefined, 32, () => undefined)).toBe(1);
    expect(await scoreWorkerThreads(corpus, 0, 1, () => undefined)).toBe(0);
    expect(notes.join('')).toContain(`--workers 200 is more than the ${availableParallelism()} CPU core(s)`);
  });

  it('scores with many workers on a short corpus, with a note on the cores', async () => {
    const out = join(tmp, 'many.jsonl');
    const workers = String(MAX_SCORE_WORKERS);
    const r = await runCli(['score', corpus, '--out', out, '--workers', workers, '--no-progress']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--workers 256 is more than the \d+ CPU core\(s\) here/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});
