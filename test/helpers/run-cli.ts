import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What a child process returned. */
export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runProcess}. */
export interface RunProcessOptions {
  /** Text for standard input (default: none, stdin closed at once). */
  input?: string;
  /** The whole environment of the child (default: the test's). */
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Kill with SIGKILL after this many milliseconds (default 120 s). */
  timeoutMs?: number;
}

/**
 * Runs a command in a real child process with piped stdio (so not a TTY) and resolves with its exit code, signal
 * and output. Never rejects on a non-zero exit; rejects only when the command cannot start.
 *
 * @param cmd - the executable
 * @param args - its arguments
 * @param options - stdin, environment, working directory, time limit
 */
export function runProcess(
  cmd: string,
  args: readonly string[],
  options: RunProcessOptions = {},
): Promise<ProcessResult> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Options for {@link runCli}: those of {@link runProcess}, with `env` merged over the test's. */
export type RunCliOptions = RunProcessOptions;

/**
 * Runs `botlens <args>` from source (`node --import tsx src/cli/main.ts`) with BOTLENS_OFFLINE=1, stdio piped.
 *
 * @param args - the command line after `botlens`
 * @param options - stdin, extra environment variables, working directory, time limit
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/cli/main.ts'), ...args], {
    ...options,
    env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1', ...options.env },
  });
}
