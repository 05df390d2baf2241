/**
 * `OrderedAppender.open` looks at each output path once: one `stat` of the scores path answers whether it existed,
 * whether it is a standard stream and whether it is a regular file to sync (it used to be stat'ed three times:
 * `stat`, `statSync` and the opened handle's `stat`), and a rejects path that is not a link is known from its one
 * `lstat`. The real file system runs; the calls are only counted on their way to it.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';

/** Paths (or `fd`) each stat-like call was made on, in order. */
const looks: string[] = [];

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const counted = <A extends unknown[], R>(name: string, f: (...a: A) => R) =>
    ((...a: A) => {
      looks.push(`${name} ${String(a[0])}`);
      return f(...a);
    }) as (...a: A) => R;
  return {
    ...real,
    stat: counted('stat', real.stat),
    lstat: counted('lstat', real.lstat),
    open: async (...a: Parameters<typeof real.open>) => {
      const fh = await real.open(...a);
      const fstat = fh.stat.bind(fh);
      fh.stat = counted(`fh.stat`, (...b: Parameters<typeof fstat>) => fstat(...b)) as typeof fh.stat;
      return fh;
    },
  };
});
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    statSync: ((...a: Parameters<typeof real.statSync>) => {
      looks.push(`statSync ${String(a[0])}`);
      return real.statSync(...a);
    }) as typeof real.statSync,
  };
});

const { OrderedAppender } = await import('../../src/corpus/output-file.js');

/** How many stat-like calls named `path` (or an open handle: `fh.stat`). */
function looksAt(path: string): number {
  return looks.filter((l) => l.endsWith(` ${path}`) || l.startsWith('fh.stat')).length;
}

describe('OrderedAppender.open stats each path once', () => {
  beforeEach(() => {
    looks.length = 0;
  });

  it('a new and an existing scores file: one stat each, and the file is written as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-appender-'));
    const out = join(dir, 'scores.jsonl');
    for (const [truncate, before, after] of [
      [true, undefined, '{"line":1}\n'],
      [false, '{"line":1}\n', '{"line":1}\n{"line":2}\n'],
    ] as const) {
      if (before !== undefined) writeFileSync(out, before);
      looks.length = 0;
      const a = await OrderedAppender.open(out, undefined, truncate);
      expect(looksAt(out), looks.join('\n')).toBe(1);
      await a.push(0, { line: before === undefined ? 1 : 2 });
      await a.close();
      expect(readFileSync(out, 'utf8')).toBe(after);
    }
  });

  it('a rejects file that is a link to another file is written through (not removed), its target stat-ed once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-appender-'));
    const out = join(dir, 'scores.jsonl');
    const target = join(dir, 'target.jsonl');
    const link = join(dir, 'rejects.jsonl');
    writeFileSync(target, 'old\n');
    symlinkSync(target, link);
    const a = await OrderedAppender.open(out, link, true);
    // The lstat that finds the link, then one stat of where it leads; the scores path once.
    expect(looks.filter((l) => l.endsWith(` ${link}`))).toEqual([`lstat ${link}`, `stat ${link}`]);
    expect(looksAt(out), looks.join('\n')).toBe(1);
    await a.push(1, { line: 1, reason: 'x' });
    await a.close();
    expect(readFileSync(target, 'utf8')).toBe('{"line":1,"reason":"x"}\n');
  });

  it('a leftover regular rejects file is removed with one lstat, as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'botlens-appender-'));
    const rejects = join(dir, 'rejects.jsonl');
    writeFileSync(rejects, 'old\n');
    const a = await OrderedAppender.open(join(dir, 'scores.jsonl'), rejects, true);
    await a.close();
    expect(looks.filter((l) => l.endsWith(` ${rejects}`))).toEqual([`lstat ${rejects}`]);
    expect(() => readFileSync(rejects)).toThrow(/ENOENT/);
  });
});
