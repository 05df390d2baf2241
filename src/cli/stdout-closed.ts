import { runExitCleanups } from './exit-cleanup.js';
import { EXIT } from './exit-codes.js';

/**
 * Ends the process with {@link EXIT}.stdoutClosed (141, as a Unix tool killed by SIGPIPE) when standard output's
 * reader goes away early (`botlens models --json | head -1`): the rest of the output has nowhere to go, so there
 * is nothing to report and no stack to print. The work registered with `onEarlyExit` is done first (a queue
 * run's waiting jobs are withdrawn, bounded in time, and what that did is said on stderr). Files a command writes
 * are unaffected: they are written to a temporary name and renamed whole, or appended in whole lines, so an early
 * exit leaves them whole or absent. Any other error on the stream is left to Node.
 *
 * @param stream - the stream to watch
 * @defaultValue stream: `process.stdout`
 */
export function exitQuietlyWhenStdoutCloses(stream: NodeJS.WriteStream = process.stdout): void {
  let closing = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (closing) return;
    closing = true;
    void runExitCleanups().finally(() => process.exit(EXIT.stdoutClosed));
  });
}
