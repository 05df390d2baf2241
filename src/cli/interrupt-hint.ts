import { runExitCleanups } from './exit-cleanup.js';
import { EXIT } from './exit-codes.js';

/**
 * While a long command runs, turns Ctrl-C (SIGINT) into one line on stderr saying how far it got and how to go on,
 * then the usual exit 130 (128 + SIGINT). The line is only printed when `hint` returns one (e.g. only once there is
 * an output to continue). The work registered with `onEarlyExit` (withdrawing queued jobs) is awaited first, each
 * piece bounding its own time; a second Ctrl-C meanwhile exits at once.
 *
 * @param hint - the line to print, built at the moment of the interrupt; undefined for none
 * @param beforeExit - called first (e.g. to stop a progress bar so the line starts on its own row)
 * @returns a function that removes the handler (call it when the command ends)
 */
export function hintOnInterrupt(hint: () => string | undefined, beforeExit?: () => void): () => void {
  const onSigint = async () => {
    beforeExit?.();
    process.once('SIGINT', () => process.exit(EXIT.interrupted));
    await runExitCleanups();
    const line = hint();
    if (line !== undefined) process.stderr.write(`${line}\n`);
    process.exit(EXIT.interrupted);
  };
  const listener = (): void => void onSigint();
  process.once('SIGINT', listener);
  return () => process.removeListener('SIGINT', listener);
}
