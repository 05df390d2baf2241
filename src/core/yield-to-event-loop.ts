/**
 * Resolves on the next turn of the event loop (`setImmediate`), so long CPU-bound work that awaits it between
 * steps lets timers (a progress line's elapsed time) and signal handlers (Ctrl-C) run. Costs microseconds.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
