import { EXIT } from './exit-codes.js';

/**
 * Ends the process quietly with {@link EXIT}.stdoutClosed (141, as a Unix tool killed by SIGPIPE) when standard
 * output's reader goes away early (`botlens models --json | head -1`): the rest of the output has nowhere to go,
 * so there is nothing to report and no stack to print. Files a command writes are unaffected: they are written to
 * a temporary name and renamed whole, so an early exit leaves them whole or absent. Any other error on the
 * stream is left to Node.
 *
 * @param stream - the stream to watch
 * @defaultValue stream: `process.stdout`
 */
export function exitQuietlyWhenStdoutCloses(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(EXIT.stdoutClosed);
  });
}
