/**
 * `botlens score --on-invalid skip` writes a rejected line's reason in the CLI's words, as its stderr words a
 * failing line: `--truncate` / `--max-messages`, not the library's `maxMessages`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

const work = useWorkDir('botlens-rejects-wording-');

/** A labelled chat of `n` messages, alternating between the user and the bot. */
function line(n: number): string {
  const messages = Array.from({ length: n }, (_, i) => ({
    speaker: i % 2 === 0 ? 'user' : 'bot',
    text: `message ${i}`,
  }));
  return JSON.stringify({ target: 'bot', label: 'bot', messages });
}

describe('score: the rejects file words the reason as stderr does', () => {
  it.each([['0'], ['2']])('--workers %s: --truncate / --max-messages, never maxMessages', async (workers) => {
    const corpus = work.path(`long-${workers}.jsonl`);
    await writeFile(corpus, `${line(4)}\n${line(250)}\n`);
    const out = work.path(`scores-${workers}.jsonl`);
    const r = await runCli(['score', corpus, '--out', out, '--on-invalid', 'skip', '--workers', workers]);
    expect(r.code).toBe(3);
    const rejects = (await readFile(`${out}.rejects.jsonl`, 'utf8')).trim().split('\n');
    expect(rejects).toHaveLength(1);
    const { line: at, reason } = JSON.parse(rejects[0]!) as { line: number; reason: string };
    expect(at).toBe(2);
    expect(reason).toContain('with --truncate, or pass a larger --max-messages');
    expect(reason).not.toContain('maxMessages');
    // The same line without --on-invalid skip: stderr says the same.
    const failed = await runCli(['score', corpus, '--out', work.path(`fail-${workers}.jsonl`)]);
    expect(failed.stderr).toContain(reason);
  });
});
