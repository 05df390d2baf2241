import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What a CLI run returned. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runCli}. */
export interface RunCliOptions {
  /** Text for standard input. */
  input?: string;
  /** Extra environment variables (merged over the test's, with BOTLENS_OFFLINE=1). */
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Kill after this many milliseconds (default 120 s). */
  timeoutMs?: number;
}

/**
 * Runs `botlens <args>` from source in a real child process (`node --import tsx src/cli/main.ts`), with stdin
 * and stdout piped (so not a TTY), and resolves with its exit code and output. Never rejects on a non-zero exit.
 *
 * @param args - the command line after `botlens`
 * @param options - stdin, environment, working directory, time limit
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1', ...options.env },
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
    child.on('close', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
