import { runExitCleanups } from './exit-cleanup.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

/**
 * Ends the process when standard output fails. When its reader goes away early (`botlens models --json | head -1`,
 * EPIPE) it exits with {@link EXIT}.stdoutClosed (141, as a Unix tool killed by SIGPIPE): the rest of the output
 * has nowhere to go, so there is nothing to report and no stack to print. Any other write error (ENOSPC on a full
 * disk, `> /dev/full`; EIO) is printed as one `botlens:` line naming the cause, as `score --out` reports it, and
 * the process exits with {@link EXIT}.error: the output is incomplete, so the run must not look successful. The
 * work registered with `onEarlyExit` is done first (a queue run's waiting jobs are withdrawn, bounded in time, and
 * what that did is said on stderr). Files a command writes are unaffected: they are written to a temporary name
 * and renamed whole, or appended in whole lines, so an early exit leaves them whole or absent.
 *
 * @param stream - the stream to watch
 * @defaultValue stream: `process.stdout`
 */
export function exitQuietlyWhenStdoutCloses(stream: NodeJS.WriteStream = process.stdout): void {
  let closing = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (closing) return;
    closing = true;
    const code =
      err.code === 'EPIPE' ? EXIT.stdoutClosed : reportError(withCause(err), (s) => process.stderr.write(s));
    void runExitCleanups().finally(() => process.exit(code));
  });
}

/** `err` with the words of its cause added to the message: which stream failed, and why (a full disk). */
function withCause(err: NodeJS.ErrnoException): NodeJS.ErrnoException {
  const why = err.code === 'ENOSPC' ? ' (disk full: free some space or write elsewhere)' : '';
  const out = new Error(`cannot write standard output: ${err.message}${why}`, {
    cause: err,
  }) as NodeJS.ErrnoException;
  out.code = err.code;
  return out;
}
