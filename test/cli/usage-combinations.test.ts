/**
 * Usage errors found after the command line parses (a combination of flags a command refuses, a flag it needs, a
 * value a sub-option refuses) read like commander's own: exit 2, one line naming the flags as typed, and the
 * `--help` hint, before any file is read. Real child processes running the CLI from source.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'botlens-usage-'));
const row = JSON.stringify({ target: 'x', label: 'bot', messages: [{ speaker: 'x', text: 'hello' }] });
const data = join(tmp, 'data.jsonl');
writeFileSync(data, `${row}\n`);

/** Expects a usage error: exit 2, the `--help` hint of `command`, no stack trace. */
function expectUsage(r: { code: number | null; stderr: string }, command: string): void {
  expect(r.stderr).toMatch(/^botlens: error: /);
  expect(r.stderr).toContain(`Run botlens ${command} --help for usage.\n`);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(2);
}

describe('eval --fit next to a fitted --model', () => {
  it('is refused, naming both flags and what to do instead', async () => {
    const r = await runCli(['eval', '--data', data, '--fit', data, '--model', join(tmp, 'fitted.json')]);
    expectUsage(r, 'eval');
    expect(r.stderr).toContain('--fit');
    expect(r.stderr).toContain(`--model ${join(tmp, 'fitted.json')}`);
    expect(r.stderr).toMatch(/without --fit/);
    expect(r.stdout).toBe('');
  });
});
