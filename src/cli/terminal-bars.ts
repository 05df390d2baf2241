/**
 * What the CLI's progress bars share on the terminal. A `cli-progress` bar saves the cursor in the terminal's one
 * save slot (`ESC 7`) and goes back to it when it stops (`ESC 8`): two bars drawn at once break each other (the
 * second one's save overwrites the first one's, so the first one's stop jumps to the wrong line and leaves its
 * last text on screen). This module keeps one bar on the line at a time: a long-running bar (`fit`, `eval`)
 * steps aside while a model-loading bar draws, and comes back after it.
 *
 * Every bar also uses {@link BAR_TERMINAL_OPTIONS}, so that none changes a terminal mode a Ctrl-C would leave
 * changed.
 *
 * Part of the CLI, not of the package's API.
 *
 * @internal
 * @packageDocumentation
 */

/** A bar that can step aside while another one is drawn. */
export interface SuspendableBar {
  /** Removes the bar from the line, keeping its state. */
  suspend(): void;
  /** Draws it again where the cursor is. */
  resume(): void;
}

/**
 * The `cli-progress` options every CLI bar takes: line wrapping stays on (the bar cuts its text to the terminal's
 * width instead of writing `ESC[?7l`) and the cursor stays shown, so a process ended by Ctrl-C (which runs no
 * bar's stop) leaves the terminal as it found it.
 */
export const BAR_TERMINAL_OPTIONS = { linewrap: true, hideCursor: null } as const;

let background: SuspendableBar | undefined;

/**
 * Makes `bar` the one a foreground bar (model loading) suspends while it draws.
 *
 * @param bar - the long-running bar (`fit`, `eval`)
 */
export function setBackgroundBar(bar: SuspendableBar): void {
  background = bar;
}

/**
 * Forgets `bar` as the background bar (when it stops).
 *
 * @param bar - the bar given to {@link setBackgroundBar}
 */
export function clearBackgroundBar(bar: SuspendableBar): void {
  if (background === bar) background = undefined;
}

/**
 * Takes the line for a foreground bar: the background bar, if any, steps aside until the returned function is
 * called.
 *
 * @returns call it when the foreground bar has stopped
 */
export function suspendBackgroundBar(): () => void {
  const bar = background;
  if (!bar) return () => undefined;
  bar.suspend();
  return () => {
    if (background === bar) bar.resume();
  };
}
