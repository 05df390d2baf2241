import type { Command } from 'commander';
import { longFlagsOf } from './cli-wording.js';

/** The long flags of the command whose action runs in this process; `undefined` before one starts. */
let flags: ReadonlySet<string> | undefined;

/**
 * Records the command whose action is about to run (`runProgram`'s preAction hook), so that output written
 * while it runs, not only the error that ends it, words library remedies with the flags it has.
 *
 * @param cmd - the command that runs
 */
export function recordRunningCommand(cmd: Command): void {
  flags = longFlagsOf(cmd);
}

/**
 * The long flags of the command that runs (see {@link recordRunningCommand}), for `inCliTerms`; `undefined` when
 * none was recorded (every remedy then in its CLI wording).
 */
export function runningCommandFlags(): ReadonlySet<string> | undefined {
  return flags;
}
