/**
 * `botlens score` refuses a line whose `id` or `label` is not what the corpus format allows (an id that is an
 * object or null, a label other than human or bot) as an invalid line, like any other, instead of replacing the id
 * by the line number or scoring it; and it creates `<out>.rejects.jsonl` only when a line is rejected. Real CLI
 * child processes on real files.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const messages = [
  { speaker: 'u', text: 'hello there' },
  { speaker: 'x', text: 'Hello ! I like dogs too . What do you do ?' },
];
const line = (extra: Record<string, unknown>) => JSON.stringify({ target: 'x', messages, ...extra });

describe('score: id and label of a line', () => {
  const work = useWorkDir('botlens-score-fields-');

  it('rejects an object or null id and a label other than human or bot', async () => {
    const corpus = work.path('odd.jsonl');
    writeFileSync(
      corpus,
      `${[
        line({ id: 'a' }),
        line({ id: { x: 1 } }),
        line({ id: null }),
        line({ label: 'robot' }),
        line({ id: 7, label: 'bot' }),
      ].join('\n')}\n`,
    );
    const out = work.path('odd-scores.jsonl');
    const r = await runCli(['score', corpus, '--out', out, '--workers', '0', '--on-invalid', 'skip']);
    expect(r.code).toBe(3);
    const scored = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: unknown });
    expect(scored.map((s) => s.id)).toEqual(['a', 7]);
    const rejects = readFileSync(`${out}.rejects.jsonl`, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string });
    expect(rejects.map((x) => x.line)).toEqual([2, 3, 4]);
    expect(rejects[0]!.reason).toMatch(/^id: must be a string or a number/);
    expect(rejects[1]!.reason).toMatch(/^id: .*got null/);
    expect(rejects[2]!.reason).toMatch(/^label: must be "human" or "bot" .*got "robot"/);

    // --on-invalid fail (the default) stops at the first such line, naming file:line.
    const failOut = work.path('fail-scores.jsonl');
    const f = await runCli(['score', corpus, '--out', failOut, '--workers', '0']);
    expect(f.code).toBe(1);
    expect(f.stderr).toContain(`${corpus}:2: id: must be a string or a number`);
  });

  it('creates no rejects file when no line is rejected, and --resume still continues', async () => {
    const corpus = work.path('clean.jsonl');
    writeFileSync(corpus, `${[line({ id: 'a' }), line({ id: 'b' })].join('\n')}\n`);
    const out = work.path('clean-scores.jsonl');
    const r = await runCli(['score', corpus, '--out', out, '--workers', '0']);
    expect(r.code).toBe(0);
    expect(existsSync(`${out}.rejects.jsonl`)).toBe(false);
    // Resume after the whole corpus: nothing left to score, and still no rejects file.
    writeFileSync(corpus, `${[line({ id: 'a' }), line({ id: 'b' }), line({ id: 'c' })].join('\n')}\n`);
    const again = await runCli(['score', corpus, '--out', out, '--workers', '0', '--resume']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/scored 1, rejected 0 \(resumed after line 2\)/);
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(3);
    expect(existsSync(`${out}.rejects.jsonl`)).toBe(false);
  });

  it('a fresh run removes a rejects file left by an earlier run, so --resume cannot skip past its lines', async () => {
    const corpus = work.path('left.jsonl');
    writeFileSync(corpus, `${[line({ id: 'a' }), line({ id: 'b' }), line({ id: 'c' })].join('\n')}\n`);
    const out = work.path('left-scores.jsonl');
    // An earlier run's reject of line 3: kept, a --resume after this run would start after line 3.
    writeFileSync(`${out}.rejects.jsonl`, `${JSON.stringify({ line: 3, reason: 'old' })}\n`);
    const r = await runCli(['score', corpus, '--out', out, '--workers', '0', '--on-invalid', 'skip']);
    expect(r.code).toBe(0);
    expect(existsSync(`${out}.rejects.jsonl`)).toBe(false);
  });

  it('a --rejects symlink is written through, never replaced (as /dev/stderr is one)', async () => {
    const corpus = work.path('sym.jsonl');
    writeFileSync(corpus, `${[line({ id: 'a' }), line({ id: null }), line({ id: 'c' })].join('\n')}\n`);
    mkdirSync(work.path('sub'), { recursive: true });
    const target = work.path('sub/target.jsonl');
    writeFileSync(target, `${JSON.stringify({ line: 9, reason: 'stale' })}\n`);
    const link = work.path('rejects-link.jsonl');
    symlinkSync(target, link);
    const out = work.path('sym-scores.jsonl');
    const r = await runCli([
      'score',
      corpus,
      '--out',
      out,
      '--workers',
      '0',
      '--on-invalid',
      'skip',
      '--rejects',
      link,
    ]);
    expect(r.code).toBe(3);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const rejects = readFileSync(target, 'utf8').trimEnd().split('\n');
    expect(rejects.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual([2]);
  });
});
