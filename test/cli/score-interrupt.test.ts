/**
 * Ctrl-C during `botlens score` prints one line saying how far it got and that --resume continues it, exits 130,
 * and the resumed run completes the file: a real child process interrupted with SIGINT.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';

const LINES = 60_000;
let tmp: string;
let corpus: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'botlens-score-interrupt-'));
  corpus = join(tmp, 'corpus.jsonl');
  const row = (i: number) =>
    JSON.stringify({
      target: 'x',
      messages: [
        { speaker: 'u', text: `hello there ${i}` },
        { speaker: 'x', text: `Hello ! I like ${i} too . What do you do ?` },
      ],
    });
  await writeFile(corpus, `${Array.from({ length: LINES }, (_, i) => row(i)).join('\n')}\n`);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** `botlens score CORPUS --out OUT --workers 0` in a child process. */
function startScore(out: string) {
  return spawn(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'src/cli/main.ts'), 'score', corpus, '--out', out, '--workers', '0'],
    { cwd: ROOT, env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1' } },
  );
}

/** Resolves once `out` holds its first lines (or after 60 s). */
async function firstLinesIn(out: string): Promise<void> {
  const started = Date.now();
  while (!(existsSync(out) && statSync(out).size > 0) && Date.now() - started < 60_000)
    await new Promise((r) => setTimeout(r, 20));
}

describe('score interrupted with Ctrl-C', () => {
  it('says how far it got and to --resume, exits 130, and --resume finishes the file', async () => {
    const out = join(tmp, 'scores.jsonl');
    const child = startScore(out);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const closed = new Promise<number | null>((ok) => child.on('close', (code) => ok(code)));
    // Interrupt once the first lines are in the file.
    await firstLinesIn(out);
    child.kill('SIGINT');
    const code = await closed;
    expect(code).toBe(130);
    expect(stderr).toMatch(
      /^botlens score: interrupted after about \d+ line\(s\) of this run \(the last few may not have reached the file\); .*scores\.jsonl keeps every whole line written: run the same command with --resume to continue after them$/m,
    );
    const resumed = await runCli(['score', corpus, '--out', out, '--workers', '0', '--resume', '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).resumedAfterLine).toBeGreaterThan(0);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual(
      Array.from({ length: LINES }, (_, i) => i + 1),
    );
  }, 180_000);

  it('SIGTERM keeps its default for a local run (only a queue run withdraws its jobs first, then exits 143)', async () => {
    const out = join(tmp, 'scores-term.jsonl');
    const child = startScore(out);
    const closed = new Promise<NodeJS.Signals | null>((ok) =>
      child.on('close', (_code, signal) => ok(signal)),
    );
    await firstLinesIn(out);
    child.kill('SIGTERM');
    expect(await closed).toBe('SIGTERM');
  }, 120_000);
});
