import type { Command } from 'commander';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { EXIT } from './exit-codes.js';

/**
 * Ends a command with a usage error found in its action (a combination of flags it refuses, a flag it needs):
 * printed as commander prints its own (`botlens: error: ...` and the `Run botlens <command> --help for usage.`
 * hint) and exit {@link EXIT}.usage, before any file is read or model loaded.
 *
 * @param cmd - the command whose flags are wrong (its `--help` is the hint)
 * @param message - what is wrong and what to give instead, naming the flags as typed
 */
export function usageError(cmd: Command, message: string): never {
  return cmd.error(`error: ${message}`, { exitCode: EXIT.usage, code: 'botlens.usage' });
}

/**
 * Runs a check of the command line alone (a combination of flags, no file read): an `InvalidOptionsError` it
 * throws ends the command as a usage error (exit {@link EXIT}.usage), its message as it is
 * (`botlens: Invalid option "--prior": ...`) followed by the `Run botlens <command> --help for usage.` hint. Other
 * errors pass through.
 *
 * @param cmd - the command whose flags are checked (its `--help` is the hint)
 * @param check - the check
 * @returns what `check` returns
 */
export function usageChecks<T>(cmd: Command, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (!InvalidOptionsError.isInstance(err)) throw err;
    return cmd.error(err.message, { exitCode: EXIT.usage, code: 'botlens.usage' });
  }
}
