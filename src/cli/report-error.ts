import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { inCliTerms, isFlagValueError } from './cli-wording.js';
import { EXIT } from './exit-codes.js';

/** Node's system errors (ENOENT, EACCES, EADDRINUSE...): ordinary failures that need no stack trace. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!)
  );
}

/**
 * Prints an error that ended a command and returns the exit code. Ordinary errors (botlens errors, system errors
 * such as ENOENT or EADDRINUSE) print one message, never a stack trace; anything else is a bug and prints its stack
 * so it can be reported. `BOTLENS_DEBUG=1` prints the stack of every error.
 *
 * @param err - what was thrown
 * @param write - where to print (standard error)
 * @param commandFlags - the long flags of the command that ran, so remedies name only flags it has
 * @returns the exit code: {@link EXIT}.error, or {@link EXIT}.usage for a flag's value the library refused
 *   (`isFlagValueError`)
 */
export function reportError(
  err: unknown,
  write: (s: string) => void,
  commandFlags?: ReadonlySet<string>,
): number {
  const debug = process.env['BOTLENS_DEBUG'] === '1';
  if (BotlensError.isInstance(err) || isSystemError(err)) {
    write(`botlens: ${BotlensError.isInstance(err) ? inCliTerms(err.message, commandFlags) : err.message}\n`);
    if (debug && err.stack) write(`${err.stack}\n`);
    // A flag's value the library refused (`--budget 2XB` as memoryBudget): a usage error, as if parsing had.
    return InvalidOptionsError.isInstance(err) && isFlagValueError(err.option, commandFlags)
      ? EXIT.usage
      : EXIT.error;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  write(
    `botlens: unexpected error (please report it at the issue tracker with the command that caused it):\n${text}\n`,
  );
  return EXIT.error;
}
