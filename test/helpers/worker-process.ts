/** `botlens worker` in a real child process, for queue tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from './run-cli.js';

/**
 * Starts `botlens worker ARGS` from source in a child process (`imports` loaded first, as
 * NODE_OPTIONS="--import ..." does; `env` added to the test's); resolves once it says it is ready (within 60 s).
 * `started` gets the child at once, so the caller can kill it whatever happens.
 */
export function startWorkerProcess(
  args: readonly string[],
  started: (child: ChildProcess) => void,
  options: { imports?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildProcess> {
  const pre = (options.imports ?? []).flatMap((m) => ['--import', m]);
  const child = spawn(process.execPath, ['--import', 'tsx', ...pre, 'src/cli/main.ts', 'worker', ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started(child);
  return new Promise((ready, fail) => {
    let err = '';
    const timer = setTimeout(() => fail(new Error(`worker did not start: ${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('ready on queue')) {
        clearTimeout(timer);
        ready(child);
      }
    });
    child.on('exit', (code) => fail(new Error(`worker exited with ${code}: ${err}`)));
  });
}
