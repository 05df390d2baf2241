/**
 * A reader that closes standard output early (`botlens models --json | head -1`) ends the CLI quietly with exit
 * 141, as a Unix tool ended by SIGPIPE, with no `write EPIPE` stack; a file the command writes stays whole.
 * Real child processes: the CLI from source, piped into `true`, which exits before reading anything.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { ROOT, runProcess } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

/** Runs `botlens <args> | true` in bash; resolves with the CLI's own exit status and its stderr. */
async function intoClosedPipe(args: string, cwd = ROOT): Promise<{ code: number; stderr: string }> {
  const cli = `'${process.execPath}' --import tsx '${ROOT}/src/cli/main.ts'`;
  const r = await runProcess('bash', ['-c', `${cli} ${args} 2>&1 | true; echo "rc=\${PIPESTATUS[0]}" >&2`], {
    cwd,
    env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1' },
  });
  // The CLI's stderr went into the pipe too (2>&1): its messages would have been lost; the shell's line is kept.
  const code = Number(/rc=(\d+)/.exec(r.stderr)?.[1]);
  return { code, stderr: r.stderr };
}

/** Runs `botlens <args> | true` with the CLI's stderr kept (only stdout goes into the closed pipe). */
async function stdoutIntoClosedPipe(args: string, cwd = ROOT): Promise<{ code: number; stderr: string }> {
  const cli = `'${process.execPath}' --import tsx '${ROOT}/src/cli/main.ts'`;
  const r = await runProcess('bash', ['-c', `${cli} ${args} | true; echo "rc=\${PIPESTATUS[0]}" >&2`], {
    cwd,
    env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1' },
  });
  const code = Number(/rc=(\d+)/.exec(r.stderr)?.[1]);
  return { code, stderr: r.stderr.replace(/rc=\d+\n/, '') };
}

describe('standard output closed early', () => {
  const work = useWorkDir('botlens-stdout-closed-');

  it('models --json | true exits 141 quietly, with no EPIPE stack', async () => {
    const r = await stdoutIntoClosedPipe('models --json');
    expect(r.code).toBe(141);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(r.stderr).toBe('');
    // With stderr in the same closed pipe, nothing is printed anywhere, and the exit is the same.
    expect((await intoClosedPipe('models --json')).code).toBe(141);
  });

  it('score --out FILE | true writes FILE whole, then exits 141 at the summary', async () => {
    const corpus = work.path('corpus.jsonl');
    const out = work.path('scores.jsonl');
    writeFileSync(corpus, labelledJsonl(20));
    const r = await stdoutIntoClosedPipe(`score '${corpus}' --out '${out}' --workers 0 --no-progress`);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.code).toBe(141);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });
});
