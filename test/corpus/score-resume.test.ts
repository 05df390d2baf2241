import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scoreCorpus } from '../../src/corpus/score-corpus.js';
import { writeScores } from '../../src/corpus/score-to-file.js';
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
