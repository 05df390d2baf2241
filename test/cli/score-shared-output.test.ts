/**
 * Two `botlens score` runs started with the same pre-created, empty `--out` (both pass the "empty or missing"
 * check): they used to both open it with 'w' and both exit 0, the second writing over the first's lines. Now an
 * existing output is appended to, never emptied, and each run checks before every write and at the end that the
 * file holds exactly what it wrote: the run that finds the other's lines stops with exit 1 before writing any, and
 * the file holds one run's scores. Real child processes; each reads its corpus from a named pipe (FIFO) the test
 * writes only once both have the output open, so neither has scored a line by then. Linux (/proc, mkfifo).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticCorpus } from '../corpus/corpus-fixture.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { killChildrenAfterEach } from '../helpers/worker-process.js';

const track = killChildrenAfterEach();

/** `botlens score FIFO --out OUT` (FIFO: a new named pipe); `ended` gives the exit. */
function startScore(fifo: string, out: string) {
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'score', fifo, '--out', out, '--workers', '0'];
  const env = { ...process.env, NODE_OPTIONS: '', BOTLENS_OFFLINE: '1' };
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  const said: Buffer[] = [];
  child.stderr.on('data', (d: Buffer) => said.push(d));
  const ended = once(child, 'close').then(([code]) => ({
    code: code as number | null,
    stderr: Buffer.concat(said).toString('utf8'),
  }));
  return { child, ended };
}

/** Whether process `pid` has `file` open (or has ended). */
function hasOpen(child: ChildProcess, file: string): boolean {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  try {
    return readdirSync(`/proc/${child.pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${child.pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

describe.skipIf(process.platform !== 'linux')('two score runs with the same pre-created empty --out', () => {
  it('one writes its scores, the other stops with exit 1 before writing any; the file holds one run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-shared-out-'));
    const out = join(dir, 'scores.jsonl');
    const corpus = `${syntheticCorpus(30).join('\n')}\n`;
    const expected = join(dir, 'expected.jsonl');
    writeFileSync(join(dir, 'corpus.jsonl'), corpus);
    expect(
      (await runCli(['score', join(dir, 'corpus.jsonl'), '--out', expected, '--workers', '0'])).code,
    ).toBe(0);
    writeFileSync(out, '');
    const a = startScore(join(dir, 'a.fifo'), out);
    const b = startScore(join(dir, 'b.fifo'), out);
    for (const end = Date.now() + 60_000; !(hasOpen(a.child, out) && hasOpen(b.child, out)); ) {
      if (Date.now() > end) throw new Error('the runs did not open the output within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Opening a FIFO to write waits for its reader, which each run opens once its output is open.
    await writeFile(join(dir, 'a.fifo'), corpus);
    const first = await a.ended;
    await writeFile(join(dir, 'b.fifo'), corpus);
    const second = await b.ended;
    expect([first.code, second.code], `${first.stderr}\n${second.stderr}`).toEqual([0, 1]);
    expect(second.stderr).toMatch(
      /^botlens: .*scores\.jsonl was written by another process while this run had it open \(it holds \d+ bytes; this run wrote none\): another run with the same output\?/,
    );
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(expected, 'utf8'));
  }, 150_000);
});

describe('a scores file another writer appends to after this run wrote', () => {
  it('stops the run at the end, saying the lines may be mixed', async () => {
    const { OrderedAppender } = await import('../../src/corpus/output-file.js');
    const out = join(mkdtempSync(join(tmpdir(), 'botlens-shared-out-')), 'scores.jsonl');
    writeFileSync(out, '');
    const a = await OrderedAppender.open(out, undefined, true);
    await a.push(0, { line: 1, run: 'a' });
    await a.flush();
    appendFileSync(out, '{"line":1,"run":"b"}\n'); // another run, whose first check passed before this run wrote
    const end = await a.close().catch((e: unknown) => e);
    expect(String(end)).toMatch(
      /scores\.jsonl was changed by another process while this run wrote it \(it holds 42 bytes where this run left 21\): another run with the same output\? Its lines and this run's may be mixed: remove it and score again/,
    );
  });
});
