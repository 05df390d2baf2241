import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotlensError } from '../../src/errors/botlens-error.js';
import { writeFileAtomic } from '../../src/fs/atomic-write.js';
import { assertInside, assertOutputSeparate, realPathOf } from '../../src/fs/safe-paths.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'botlens-fs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces a file whole and leaves no temporary file', async () => {
    const f = join(dir, 'out.json');
    await writeFile(f, 'old');
    await writeFileAtomic(f, 'new content');
    expect(await readFile(f, 'utf8')).toBe('new content');
    expect(await readdir(dir)).toEqual(['out.json']);
  });

  it('on failure keeps the old file, removes its temporary and throws a BotlensError', async () => {
    const target = join(dir, 'a-folder');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'x');
    const err = await writeFileAtomic(target, 'bytes').catch((e: unknown) => e);
    expect(BotlensError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/Cannot write .*a-folder/);
    expect(await readdir(dir)).toEqual(['a-folder']);
    expect(await readdir(target)).toEqual(['keep']);
  });

  it('replaces a symlink at the target instead of writing through it', async () => {
    const precious = join(dir, 'precious');
    await writeFile(precious, 'base');
    await symlink(precious, join(dir, 'link'));
    await writeFileAtomic(join(dir, 'link'), 'new');
    expect(await readFile(precious, 'utf8')).toBe('base');
    expect(await readFile(join(dir, 'link'), 'utf8')).toBe('new');
  });

  it('refuses a pipe at the target instead of replacing it with a file', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const err = await writeFileAtomic(fifo, 'x').catch((e: unknown) => e);
    expect(BotlensError.isInstance(err) && err.code).toBe('WRITE_FAILED');
    expect((err as Error).message).toMatch(/pipe is not a regular file|it is not a regular file/);
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(await readdir(dir)).toEqual(['pipe']);
  });
});

describe('real-path guards', () => {
  it('realPathOf resolves symlinks also for paths that do not exist yet', async () => {
    await mkdir(join(dir, 'base'));
    await symlink(join(dir, 'base'), join(dir, 'link'));
    expect(realPathOf(join(dir, 'link', 'new', 'file'))).toBe(join(realPathOf(dir), 'base', 'new', 'file'));
  });

  it('assertOutputSeparate refuses an output that is, contains or lies inside an input', async () => {
    await mkdir(join(dir, 'base'));
    await symlink(join(dir, 'base'), join(dir, 'link'));
    const base = { option: '--base', path: join(dir, 'base') };
    expect(() => assertOutputSeparate({ option: '--out', path: join(dir, 'link') }, [base])).toThrow(
      / is the input/,
    );
    expect(() => assertOutputSeparate({ option: '--out', path: join(dir, 'link', 'x') }, [base])).toThrow(
      /is inside the input/,
    );
    expect(() => assertOutputSeparate({ option: '--out', path: dir }, [base])).toThrow(/contains the input/);
    expect(() => assertOutputSeparate({ option: '--out', path: join(dir, 'base2') }, [base])).not.toThrow();
  });

  it('assertInside refuses a path that escapes its root lexically or through a symlink', async () => {
    await mkdir(join(dir, 'root'));
    await mkdir(join(dir, 'outside'));
    await symlink(join(dir, 'outside'), join(dir, 'root', 'door'));
    expect(() => assertInside(join(dir, 'root'), join(dir, 'root', '..', 'outside'), 'x')).toThrow(/outside/);
    expect(() => assertInside(join(dir, 'root'), join(dir, 'root', 'door', 'f'), 'x')).toThrow(/outside/);
    expect(assertInside(join(dir, 'root'), join(dir, 'root', 'a', 'b'), 'x')).toBe(
      join(realPathOf(dir), 'root', 'a', 'b'),
    );
  });
});
