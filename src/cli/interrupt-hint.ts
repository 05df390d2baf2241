import { EXIT } from './exit-codes.js';

/**
 * While a long command runs, turns Ctrl-C (SIGINT) into one line on stderr saying how far it got and how to go on,
 * then the usual exit 130 (128 + SIGINT). The line is only printed when `hint` returns one (e.g. only once there is
 * an output to continue).
 *
 * @param hint - the line to print, built at the moment of the interrupt; undefined for none
 * @param beforeExit - called first (e.g. to stop a progress bar so the line starts on its own row)
 * @returns a function that removes the handler (call it when the command ends)
 */
export function hintOnInterrupt(hint: () => string | undefined, beforeExit?: () => void): () => void {
  const onSigint = () => {
    beforeExit?.();
    const line = hint();
    if (line !== undefined) process.stderr.write(`${line}\n`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', onSigint);
  return () => process.removeListener('SIGINT', onSigint);
}
