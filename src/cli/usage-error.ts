import type { Command } from 'commander';
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
