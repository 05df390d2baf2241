import { type Command, CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';
import { recordRunningCommand } from './running-command.js';

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * `text` with the user and password of every URL in it (`scheme://user:password@`) replaced by `***`. A usage
 * hint's optional part (`redis://[:password@]host`, bracketed up to the `@]`) holds no secret and is kept as written.
 */
function hideUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][\w+.-]*:\/\/)(?!\[[^\s/@'"]*@\])[^\s/@'"]*@/gi, '$1***@');
}

/**
 * Applies the program-wide CLI behaviour to a command and every subcommand (call it after all commands are
 * registered): a usage error prints one line (`botlens: error: unknown option '--x'`) and a hint
 * (`Run botlens detect --help for usage.`), not the whole help, with any URL's credentials hidden, and exits
 * {@link EXIT}.usage; errors are thrown to the caller instead of exiting, so {@link runProgram} decides the exit code.
 *
 * @param cmd - the root program
 */
export function configureProgram(cmd: Command): void {
  cmd
    .exitOverride()
    .showHelpAfterError(`Run ${commandPath(cmd)} --help for usage.`)
    .configureOutput({
      // Commander quotes the bad value as given: a URL's user and password (`--redis redis://u:pw@host`) are hidden.
      outputError: (str, write) => write(`botlens: ${hideUrlCredentials(str.trimEnd())}\n`),
    });
  for (const sub of cmd.commands) configureProgram(sub);
}

/**
 * Parses the command line and runs the command, mapping every outcome to the documented exit codes (set on
 * `process.exitCode`, so pending output is flushed): help and `--version` exit 0, usage errors 2, errors 1 (no
 * stack trace for ordinary errors), and a command's own `process.exitCode` (3 for a partial result) is kept.
 *
 * @param program - the configured root program
 * @param argv - the process arguments
 */
export async function runProgram(program: Command, argv: readonly string[]): Promise<void> {
  // The command whose action runs: its flags decide how an error's remedy is worded.
  let running: Command | undefined;
  program.hook('preAction', (_root, action) => {
    running = action;
    recordRunningCommand(action);
  });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // `--help` and `--version` succeed; `botlens` with no command prints the help as an error
      // (commander.help): a usage error, like every other parse error.
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
      process.exitCode = ok ? EXIT.ok : EXIT.usage;
      return;
    }
    const flags = running && new Set(running.options.map((o) => o.long).filter((f) => f !== undefined));
    process.exitCode = reportError(err, (s) => process.stderr.write(s), flags);
  }
}
