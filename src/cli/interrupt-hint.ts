import { runExitCleanups } from './exit-cleanup.js';
import { EXIT } from './exit-codes.js';

/** The signals that end a long command early, each with the exit status a shell reports for it (128 + n). */
const EARLY_END = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated } as const;

/** A signal {@link hintOnInterrupt} handles. */
type EarlyEndSignal = keyof typeof EARLY_END;

/**
 * While a long command runs, turns Ctrl-C (SIGINT) and SIGTERM (`docker stop`, systemd, a supervisor) into one
 * path: the work registered with `onEarlyExit` (withdrawing queued jobs) is awaited first, each piece bounding its
 * own time; then `hint` gives one line for stderr saying how far the command got and how to go on; then the
 * process exits 130 (128 + SIGINT) or 143 (128 + SIGTERM), as a shell reports a process the signal ended. A
 * second SIGINT or SIGTERM meanwhile exits at once.
 *
 * @param hint - the line to print, built once the cleanups are done (it may finish the command's own work first,
 *   such as writing whole lines); undefined for none
 * @param beforeExit - called first (e.g. to stop a progress bar so the line starts on its own row)
 * @returns a function that removes the handlers (call it when the command ends)
 */
export function hintOnInterrupt(
  hint: () => Promise<string | undefined> | string | undefined,
  beforeExit?: () => void,
): () => void {
  const signals = Object.keys(EARLY_END) as EarlyEndSignal[];
  const onSignal = async (signal: EarlyEndSignal) => {
    unhook();
    beforeExit?.();
    for (const s of signals) process.once(s, () => process.exit(EARLY_END[s]));
    await runExitCleanups();
    const line = await Promise.resolve()
      .then(hint)
      .catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    if (line !== undefined) process.stderr.write(`${line}\n`);
    process.exit(EARLY_END[signal]);
  };
  const listeners = signals.map((s) => [s, (): void => void onSignal(s)] as const);
  const unhook = (): void => {
    for (const [s, listener] of listeners) process.removeListener(s, listener);
  };
  for (const [s, listener] of listeners) process.once(s, listener);
  return unhook;
}
