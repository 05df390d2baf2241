import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './run-cli.js';

/** True when util-linux `script` is installed (it gives a command a pseudo-terminal). */
export const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

/** The shell command that sets the pseudo-terminal's width (200 columns unless a test asks for another). */
function columnsCommand(columns = 200): string {
  return `stty cols ${Math.floor(columns)} 2>/dev/null;`;
}

/** Options for {@link runCliOnTty}. */
export interface OnTtyOptions {
  /** The terminal's width in columns. @defaultValue 200 */
  columns?: number;
}

/** The shell command line that runs the CLI from source with `args`, each quoted. */
function cliCommandLine(args: readonly string[]): string {
  return [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args]
    .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
    .join(' ');
}

/**
 * Runs the CLI from source under util-linux `script`, so its stdout and stderr are a pseudo-terminal (what a
 * person at a shell sees: progress bars are drawn). Offline, from the project root.
 *
 * @param args - the CLI arguments
 * @param options - the terminal's width
 * @returns the exit code and everything the terminal showed (stdout and stderr together)
 */
export function runCliOnTty(
  args: readonly string[],
  options: OnTtyOptions = {},
): { code: number | null; out: string } {
  const cmd = cliCommandLine(args);
  const r = spawnSync('script', ['-qec', `${columnsCommand(options.columns)} ${cmd}`, '/dev/null'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '' },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout };
}

/**
 * Runs the CLI like {@link runCliOnTty}, and calls `act` with its process id once the terminal shows `when`.
 *
 * @returns the exit code the shell saw, everything the terminal showed, and whether `act` was called
 */
async function driveCliOnTty(
  args: readonly string[],
  when: RegExp,
  act: (pid: number, typeIn: (keys: string) => void) => void,
  options: OnTtyOptions = {},
): Promise<{ code: number | null; out: string; acted: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'botlens-tty-int-'));
  const pidFile = join(dir, 'pid');
  const cmd = cliCommandLine(args);
  // The shell ignores SIGINT (a Ctrl-C typed in reaches the whole foreground group: the shell must live on to say
  // the CLI's exit status; Node starts with the default SIGINT whatever it inherits).
  const child = spawn(
    'script',
    [
      '-qec',
      `trap '' INT; ${columnsCommand(options.columns)} ${cmd} & echo $! > '${pidFile}'; wait $!; echo "[rc=$?]"`,
      '/dev/null',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '' },
    },
  );
  let out = '';
  let acted = false;
  const timeout = setTimeout(() => child.kill('SIGKILL'), 120_000);
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    out += s;
    if (!acted && when.test(out)) {
      acted = true;
      act(Number(readFileSync(pidFile, 'utf8')), (keys) => child.stdin.write(keys));
    }
  });
  await new Promise((done) => child.on('close', done));
  clearTimeout(timeout);
  rmSync(dir, { recursive: true, force: true });
  const rc = /\[rc=(\d+)\]/.exec(out);
  return { code: rc ? Number(rc[1]) : null, out, acted };
}

/**
 * Runs the CLI like {@link runCliOnTty}, and sends it SIGINT (as Ctrl-C would) once the terminal shows `when`.
 *
 * @param args - the CLI arguments
 * @param when - what the terminal must show before the interrupt (a progress bar's text)
 * @returns the exit code the shell saw (130 for a process ended by SIGINT), everything the terminal showed, and
 *   whether the interrupt was sent
 */
export async function interruptCliOnTty(
  args: readonly string[],
  when: RegExp,
): Promise<{ code: number | null; out: string; interrupted: boolean }> {
  const r = await driveCliOnTty(args, when, (pid) => process.kill(pid, 'SIGINT'));
  return { code: r.code, out: r.out, interrupted: r.acted };
}

/**
 * Runs the CLI like {@link runCliOnTty}, and types Ctrl-C on its terminal once it shows `when`: the terminal sends
 * SIGINT to the whole foreground process group (the CLI and any helper process it started), as at a shell.
 *
 * @param args - the CLI arguments
 * @param when - what the terminal must show before the Ctrl-C
 * @param options - the terminal's width
 * @returns the exit code the shell saw (130 for a process ended by SIGINT), everything the terminal showed, and
 *   whether Ctrl-C was typed
 */
export async function ctrlCCliOnTty(
  args: readonly string[],
  when: RegExp,
  options: OnTtyOptions = {},
): Promise<{ code: number | null; out: string; interrupted: boolean }> {
  const r = await driveCliOnTty(args, when, (_pid, typeIn) => typeIn('\x03'), options);
  return { code: r.code, out: r.out, interrupted: r.acted };
}

/**
 * Runs the CLI like {@link runCliOnTty} on a terminal `options.columns` wide, and resizes the terminal to
 * `columns` once it shows `when` (the kernel sends the CLI SIGWINCH, as when a person resizes the window).
 *
 * @param args - the CLI arguments
 * @param when - what the terminal must show before the resize (a progress bar's text)
 * @param columns - the new width
 * @returns the exit code the shell saw, everything the terminal showed, and whether the terminal was resized
 */
export async function resizeCliOnTty(
  args: readonly string[],
  when: RegExp,
  columns: number,
  options: OnTtyOptions = {},
): Promise<{ code: number | null; out: string; resized: boolean }> {
  const r = await driveCliOnTty(
    args,
    when,
    (pid) => {
      // The CLI's standard error is the pseudo-terminal: resize that one.
      const tty = readlinkSync(`/proc/${pid}/fd/2`);
      spawnSync('stty', ['cols', String(Math.floor(columns)), '-F', tty]);
    },
    options,
  );
  return { code: r.code, out: r.out, resized: r.acted };
}
