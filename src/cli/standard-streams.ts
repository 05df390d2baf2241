import { STDOUT } from '../corpus/output-file.js';

export { STDOUT };

/** The input path that means standard input (`detect -`, `fit --data -`, `eval --data -`). */
export const STDIN = '-';

/**
 * Writes `text` to standard output and resolves once it is handed to the stream (a closed stdout ends the command
 * quietly, see `exitQuietlyWhenStdoutCloses`).
 *
 * @param text - what to write
 */
export function writeStdout(text: string): Promise<void> {
  return new Promise((ok, fail) => {
    process.stdout.write(text, (err) => (err ? fail(err) : ok()));
  });
}
