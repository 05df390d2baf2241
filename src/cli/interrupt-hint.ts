import { EXIT } from './exit-codes.js';

/**
 * While a long command runs, turns Ctrl-C (SIGINT) into one line on stderr saying how far it got and how to go on,
 * then the usual exit 130 (128 + SIGINT). The line is only printed when `hint` returns one (e.g. only once there is
 * an output to continue).
 *
 * @param hint - the line to print, built at the moment of the interrupt; undefined for none
 * @param beforeExit - called first (e.g. to stop a progress bar so the line starts on its own row)
 * @param cleanup - awaited before the hint (it bounds its own time), e.g. to withdraw queued work; returns a line
 *   to print, if any. A second Ctrl-C meanwhile exits at once.
 * @returns a function that removes the handler (call it when the command ends)
 */
export function hintOnInterrupt(
  hint: () => string | undefined,
  beforeExit?: () => void,
  cleanup?: () => Promise<string | undefined>,
): () => void {
  const onSigint = async () => {
    beforeExit?.();
    if (cleanup) {
      process.once('SIGINT', () => process.exit(EXIT.interrupted));
      const said = await cleanup().catch(
        (err: unknown) => `${err instanceof Error ? err.message : String(err)}`,
      );
      if (said !== undefined) process.stderr.write(`${said}\n`);
    }
    const line = hint();
    if (line !== undefined) process.stderr.write(`${line}\n`);
    process.exit(EXIT.interrupted);
  };
  const listener = (): void => void onSigint();
  process.once('SIGINT', listener);
  return () => process.removeListener('SIGINT', listener);
}
