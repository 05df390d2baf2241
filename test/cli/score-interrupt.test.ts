/**
 * Ctrl-C (SIGINT) or SIGTERM during a local `botlens score` take one path: the lines scored so far are written
 * whole, one line on stderr says exactly how many and that --resume continues the file, the exit status is 130 or
 * 143, and the resumed run completes the file. Real child processes, sent each signal.
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

/** The line count the hint gives, and the lines `out` holds (every one whole and a record). */
async function hintAndFile(stderr: string, out: string): Promise<{ said: number; lines: number[] }> {
  const said = /interrupted after writing (\d+) line\(s\) of this run/.exec(stderr)?.[1];
  const text = await readFile(out, 'utf8');
  expect(text.endsWith('\n'), 'the file ends at a line end').toBe(true);
  const lines = text
    .slice(0, -1)
    .split('\n')
    .map((l) => (JSON.parse(l) as { line: number }).line);
  return { said: Number(said), lines };
}

describe('score ended early by Ctrl-C (SIGINT) or SIGTERM (docker stop, systemd)', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'on %s: writes whole lines only, says exactly how many and to --resume, exits %i; --resume finishes the file',
    async (signal, exit) => {
      const out = join(tmp, `scores-${signal}.jsonl`);
      const child = startScore(out);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
      });
      const closed = new Promise<number | null>((ok) => child.on('close', (code) => ok(code)));
      // Interrupt once the first lines are in the file.
      await firstLinesIn(out);
      child.kill(signal);
      const code = await closed;
      expect(code).toBe(exit);
      expect(stderr).toMatch(
        /^botlens score: interrupted after writing \d+ line\(s\) of this run \(scored or rejected\), each whole: run the same command with --resume to continue .*scores-SIG[A-Z]+\.jsonl after them$/m,
      );
      // The number said is the number written: the lines 1..n, every one whole.
      const { said, lines } = await hintAndFile(stderr, out);
      expect(lines.length).toBeGreaterThan(0);
      expect(said).toBe(lines.length);
      expect(lines).toEqual(Array.from({ length: said }, (_, i) => i + 1));
      const resumed = await runCli(['score', corpus, '--out', out, '--workers', '0', '--resume', '--json']);
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.stdout).resumedAfterLine).toBe(said);
      const all = (await readFile(out, 'utf8')).trim().split('\n');
      expect(all.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual(
        Array.from({ length: LINES }, (_, i) => i + 1),
      );
    },
    180_000,
  );
});
