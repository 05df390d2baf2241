/**
 * A write error on standard output other than EPIPE (a full disk: `> /dev/full`) ends the CLI with one `botlens:`
 * line naming the cause and exit 1, as `score --out /dev/full` does, never an uncaught `Error: ENOSPC` stack.
 * Real child processes: the CLI from source, its stdout redirected by bash.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labelledJsonl } from '../helpers/labelled-jsonl.js';
import { ROOT, runProcess } from '../helpers/run-cli.js';
import { useWorkDir } from '../helpers/work-dir.js';

/** Runs `botlens <args> > /dev/full` in bash; resolves with the exit status and stderr. */
function intoFullDisk(args: string) {
  const cli = `'${process.execPath}' --import tsx '${ROOT}/src/cli/main.ts'`;
  return runProcess('bash', ['-c', `${cli} ${args} > /dev/full`], {
    cwd: ROOT,
    env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1' },
  });
}

const FULL =
  'botlens: cannot write standard output: ENOSPC: no space left on device, write (disk full: free some space or write elsewhere)\n';

describe.runIf(existsSync('/dev/full'))('standard output on a full disk', () => {
  const work = useWorkDir('botlens-stdout-full-');

  it('detect, eval and fit --out - print one line and exit 1', async () => {
    writeFileSync(
      work.path('chat.json'),
      JSON.stringify({ target: 'a', messages: [{ speaker: 'a', text: 'hello there, how are you?' }] }),
    );
    writeFileSync(work.path('t.jsonl'), labelledJsonl(12));
    const [chat, data] = [work.path('chat.json'), work.path('t.jsonl')];
    for (const args of [`detect ${chat}`, `eval --data ${data}`, `fit --data ${data} --out -`]) {
      const r = await intoFullDisk(args);
      expect({ args, stderr: r.stderr, code: r.code }).toEqual({ args, stderr: FULL, code: 1 });
    }
  });
});
