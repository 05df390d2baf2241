/**
 * Where a command's output really lands is checked before the work: `score` writes its files where they are (a
 * symlinked `--out` is written through, so the folder of the file it names is checked, and an existing file must
 * be writable), `fit` replaces its file (a symlink at `--out` is replaced, and a device or pipe is refused), and
 * `score --out -` or `/dev/stdout` streams the records to standard output with no file beside it. Real `botlens`
 * child processes on real files.
 *
 * Tests run as root here, which file modes do not stop: an unwritable place is made with `chattr +i` (immutable,
 * which stops root too); those tests skip where chattr cannot set it (not root, or a file system without it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

let tmp: string;
let corpus: string;
let data: string;
/** Paths made immutable, made mutable again before the folder is removed. */
const immutables: string[] = [];

/** Makes `path` immutable (`chattr +i`); false where that cannot be done here. */
function makeImmutable(path: string): boolean {
  try {
    execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
    immutables.push(path);
    return true;
  } catch {
    return false;
  }
}

/** The records of a scores JSONL text. */
function records(text: string): { line: number }[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { line: number });
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'botlens-output-targets-'));
  corpus = join(tmp, 'corpus.jsonl');
  await writeFile(corpus, labelledJsonl(3));
  data = join(tmp, 'train.jsonl');
  await writeFile(data, labelledJsonl(12));
});
afterAll(async () => {
  for (const p of immutables) execFileSync('chattr', ['-i', p], { stdio: 'ignore' });
  await rm(tmp, { recursive: true, force: true });
});

describe('score writes through a symlinked --out, so the folder it points to is checked', () => {
  it('a symlink into a folder that does not exist is refused before scoring, naming that folder', async () => {
    const link = join(tmp, 'to-missing.jsonl');
    await symlink(join(tmp, 'missing-dir', 'scores.jsonl'), link);
    const r = await runCli(['score', corpus, '--out', link, '--workers', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^botlens: Invalid option "--out": the folder .*missing-dir \(where the symlink .*to-missing\.jsonl points\) does not exist: create it first/,
    );
    expect(r.stderr).not.toMatch(/ENOENT/);
    expect(existsSync(`${link}.rejects.jsonl`)).toBe(false);
  });

  it('a symlink into a folder nobody can write (immutable) is refused before scoring', async (ctx) => {
    const locked = join(tmp, 'locked');
    await mkdir(locked);
    if (!makeImmutable(locked)) ctx.skip();
    const link = join(tmp, 'to-locked.jsonl');
    await symlink(join(locked, 'scores.jsonl'), link);
    const r = await runCli(['score', corpus, '--out', link, '--workers', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^botlens: Invalid option "--out": cannot write in the folder .*locked \(EPERM\): make it writable, or choose another --out\n$/,
    );
  });

  it('an existing --out that cannot be written (immutable) is refused before scoring', async (ctx) => {
    const out = join(tmp, 'frozen.jsonl');
    await writeFile(out, '');
    if (!makeImmutable(out)) ctx.skip();
    const r = await runCli(['score', corpus, '--out', out, '--workers', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^botlens: Invalid option "--out": .*frozen\.jsonl exists and cannot be written \(EPERM\): make it writable, or choose another --out\n$/,
    );
    expect(existsSync(`${out}.rejects.jsonl`)).toBe(false);
  });

  it('a symlink to a writable place is written through: the link stays, the file it names gets the scores', async () => {
    await mkdir(join(tmp, 'elsewhere'));
    const target = join(tmp, 'elsewhere', 'scores.jsonl');
    const link = join(tmp, 'to-elsewhere.jsonl');
    await symlink(target, link);
    const r = await runCli(['score', corpus, '--out', link, '--workers', '0']);
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(records(readFileSync(target, 'utf8')).map((x) => x.line)).toEqual([1, 2, 3]);
  });

  it('--resume on a symlink to the corpus is refused and leaves the corpus whole', async () => {
    const text = '{"messages":[{"speaker":"a","text":"hi"}],"target":"a"}'; // no final newline
    const input = join(tmp, 'no-newline.jsonl');
    await writeFile(input, text);
    const link = join(tmp, 'to-input.jsonl');
    await symlink(input, link);
    const r = await runCli(['score', input, '--out', link, '--resume', '--workers', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Invalid option "--out": .*to-input\.jsonl is the input <corpus>/);
    expect(readFileSync(input, 'utf8')).toBe(text);
  });
});

describe('fit replaces its --out, so what stops a replacement is checked', () => {
  it('an immutable --out is refused before fitting, even with --force', async (ctx) => {
    const out = join(tmp, 'frozen.json');
    await writeFile(out, 'precious\n');
    if (!makeImmutable(out)) ctx.skip();
    const r = await runCli(['fit', '--data', data, '--out', out, '--force']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^botlens: Invalid option "--out": .*frozen\.json exists and cannot be written \(EPERM\): make it writable, or choose another --out\n$/,
    );
    expect(r.stderr).not.toMatch(/fitted|Cannot write/);
  });

  it('a pipe at --out is refused before fitting and stays a pipe', async () => {
    const fifo = join(tmp, 'fit.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await runCli(['fit', '--data', data, '--out', fifo, '--force']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Invalid option "--out": .*fit\.fifo is not a regular file \(a device, pipe or socket\) and would be replaced/,
    );
    expect(statSync(fifo).isFIFO()).toBe(true);
  });
});

describe('score --out - and /dev/stdout stream the records to standard output', () => {
  it('--out /dev/stdout on a pipe writes every record, exits 0 and leaves no file beside the device', async () => {
    const beside = '/dev/stdout.rejects.jsonl';
    const before = existsSync(beside);
    try {
      const r = await runCli(['score', corpus, '--out', '/dev/stdout', '--workers', '0']);
      expect(r.stderr).not.toMatch(/EINVAL|fsync/);
      expect(r.code).toBe(0);
      expect(records(r.stdout).map((x) => x.line)).toEqual([1, 2, 3]);
      expect(r.stderr).toMatch(/^scored 3, rejected 0 in .* -> \/dev\/stdout\n$/);
      expect(existsSync(beside)).toBe(before);
    } finally {
      if (!before) await rm(beside, { force: true });
    }
  });

  it('--out - prints only records on stdout; the --json summary goes to stderr', async () => {
    // runCli runs in the repository root: a botlens that took "-" for a file name would write these there.
    const junk = [join(ROOT, '-'), join(ROOT, '-.rejects.jsonl')].filter((p) => !existsSync(p));
    try {
      const r = await runCli(['score', corpus, '--out', '-', '--workers', '0', '--json']);
      expect(r.code).toBe(0);
      expect(records(r.stdout).map((x) => x.line)).toEqual([1, 2, 3]);
      const summary = JSON.parse(r.stderr) as { out: string; scored: number; rejects: string };
      expect(summary).toMatchObject({ out: '-', scored: 3, rejects: '' });
      for (const p of junk) expect(existsSync(p)).toBe(false);
    } finally {
      for (const p of junk) await rm(p, { force: true });
    }
  });

  it('--out - refuses --resume, and --on-invalid skip without --rejects, before scoring', async () => {
    const resume = await runCli(['score', corpus, '--out', '-', '--resume', '--workers', '0']);
    expect(resume.code).toBe(1);
    expect(resume.stderr).toMatch(
      /^botlens: Invalid option "--resume": --out is standard output, which cannot be resumed: give --out a file\n$/,
    );
    const skip = await runCli(['score', corpus, '--out', '-', '--on-invalid', 'skip', '--workers', '0']);
    expect(skip.code).toBe(1);
    expect(skip.stderr).toMatch(
      /Invalid option "--rejects": --out is standard output, so --on-invalid skip has no rejects file/,
    );
    expect(skip.stdout).toBe('');
  });

  it('--out - with --rejects FILE writes invalid lines to that file and exits 3', async () => {
    const input = join(tmp, 'one-bad.jsonl');
    await writeFile(input, `${labelledJsonl(2)}not json\n`);
    const rejects = join(tmp, 'stdout-rejects.jsonl');
    const r = await runCli([
      'score',
      input,
      '--out',
      '-',
      '--rejects',
      rejects,
      '--on-invalid',
      'skip',
      '--workers',
      '0',
    ]);
    expect(r.code).toBe(3);
    expect(records(r.stdout).map((x) => x.line)).toEqual([1, 2]);
    expect(records(readFileSync(rejects, 'utf8')).map((x) => x.line)).toEqual([3]);
    expect(r.stderr).toMatch(
      /scored 2, rejected 1 .* -> standard output, rejects -> .*stdout-rejects\.jsonl/,
    );
  });
});
