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

/**
 * Says on stderr, when standard input is a terminal, that the command now reads `what` from it and how to end
 * it: a command given `-` at a shell prompt would otherwise wait in silence for input nobody meant to type.
 * Nothing is printed when standard input is a pipe or a file.
 *
 * @param what - what it reads, e.g. `the corpus (JSONL, one transcript per line)`
 */
export function hintWhenStdinIsTerminal(what: string): void {
  if (!process.stdin.isTTY) return;
  process.stderr.write(
    `botlens: reading ${what} from the terminal (standard input, -): type or paste it, then press Ctrl-D on a line of its own (Ctrl-Z then Enter on Windows); or give a file instead of -\n`,
  );
}
