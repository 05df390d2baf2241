/** Work to finish before the CLI ends early; resolves with a line to print on stderr, if any. */
export type ExitCleanup = () => Promise<string | undefined>;

const cleanups = new Set<ExitCleanup>();
let running: Promise<void> | undefined;

/**
 * Runs every cleanup registered with {@link onEarlyExit} once (a second call gets the same promise), printing
 * the line each returns, or its error's message, on stderr. Each cleanup bounds its own time.
 */
export function runExitCleanups(): Promise<void> {
  running ??= (async () => {
    const said = await Promise.all(
      [...cleanups].map((c) =>
        c().catch((err: unknown) => (err instanceof Error ? err.message : String(err))),
      ),
    );
    for (const line of said) if (line !== undefined) process.stderr.write(`${line}\n`);
  })();
  return running;
}

/**
 * Registers work the CLI must do however it ends early (withdrawing a queue run's jobs): on Ctrl-C and SIGTERM
 * (see `hintOnInterrupt`, which handles both signals while a long command runs) and when standard output's
 * reader goes away (see `exitQuietlyWhenStdoutCloses`).
 *
 * @param cleanup - the work; it bounds its own time and says what it did, or could not do, in the line it returns
 * @returns a function that unregisters it (call it when the command ends)
 */
export function onEarlyExit(cleanup: ExitCleanup): () => void {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
