/**
 * Two runs that start together with the same new output never both succeed: the output is created exclusively,
 * so the second fails loudly instead of replacing (fit) or emptying (score) the first run's results. `--force`
 * (replace: true) and `--resume` (append) keep working.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OrderedAppender } from '../../src/corpus/output-file.js';
import { BotlensError } from '../../src/errors/botlens-error.js';
import { writeFileAtomic } from '../../src/fs/atomic-write.js';
import { useWorkDir } from '../helpers/work-dir.js';

describe('an output created by another run meanwhile', () => {
  const work = useWorkDir('botlens-exclusive-output-');

  it('writeFileAtomic with replace: false keeps the file another run saved, and says so', async () => {
    const out = work.path('race.json');
    writeFileSync(out, 'the other run\n');
    const err = await writeFileAtomic(out, 'this run\n', { replace: false }).catch((e: unknown) => e);
    expect(BotlensError.isInstance(err) && err.code).toBe('WRITE_FAILED');
    expect((err as Error).message).toContain('it exists now, though it did not when this run started');
    expect(readFileSync(out, 'utf8')).toBe('the other run\n');
  });

  it('writeFileAtomic with replace: false writes a new file whole; by default it replaces', async () => {
    const out = work.path('new.json');
    await writeFileAtomic(out, 'first\n', { replace: false });
    expect(readFileSync(out, 'utf8')).toBe('first\n');
    await writeFileAtomic(out, 'second\n');
    expect(readFileSync(out, 'utf8')).toBe('second\n');
  });

  it('two score outputs opened together on the same new file: one opens, the other fails', async () => {
    const out = work.path('cc.jsonl');
    const opened = await Promise.allSettled([
      OrderedAppender.open(out, undefined, true),
      OrderedAppender.open(out, undefined, true),
    ]);
    const won = opened.filter((r) => r.status === 'fulfilled');
    const lost = opened.filter((r) => r.status === 'rejected');
    expect([won.length, lost.length]).toEqual([1, 1]);
    expect(String((lost[0] as PromiseRejectedResult).reason)).toContain(
      'was created by another run after this one started, so this run stops rather than overwrite',
    );
    const appender = (won[0] as PromiseFulfilledResult<OrderedAppender>).value;
    await appender.push(0, { line: 1 });
    await appender.close();
    expect(readFileSync(out, 'utf8')).toBe('{"line":1}\n');
  });

  it('an existing empty output is still started over, and resume still appends', async () => {
    const out = work.path('empty.jsonl');
    writeFileSync(out, '');
    const a = await OrderedAppender.open(out, undefined, true);
    await a.push(0, { line: 1 });
    await a.close();
    const b = await OrderedAppender.open(out, undefined, false);
    await b.push(0, { line: 2 });
    await b.close();
    expect(readFileSync(out, 'utf8')).toBe('{"line":1}\n{"line":2}\n');
  });
});
