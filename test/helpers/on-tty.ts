import { spawnSync } from 'node:child_process';
import { ROOT } from './run-cli.js';

/** True when util-linux `script` is installed (it gives a command a pseudo-terminal). */
export const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

/**
 * Runs the CLI from source under util-linux `script`, so its stdout and stderr are a pseudo-terminal (what a
 * person at a shell sees: progress bars are drawn). Offline, from the project root.
 *
 * @param args - the CLI arguments
 * @returns the exit code and everything the terminal showed (stdout and stderr together)
 */
export function runCliOnTty(args: readonly string[]): { code: number | null; out: string } {
  const cmd = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args]
    .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
    .join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '' },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout };
}
