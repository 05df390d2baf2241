import { Worker } from 'node:worker_threads';

/**
 * The ticker's code, run in a worker thread: once a second it redraws the line as `prefix + seconds + suffix`, with
 * `fs.writeSync` on the terminal's descriptor. `state[0]` is 0 while idle, 1 while it writes and 2 once stopped
 * (the main thread only stops it between writes).
 */
const TICKER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { state, fd, prefix, suffix, t0 } = workerData;
setInterval(() => {
  if (Atomics.compareExchange(state, 0, 0, 1) !== 0) return;
  try {
    writeSync(fd, '\\r' + prefix + Math.round((Date.now() - t0) / 1000) + suffix + '\\x1b[K');
  } catch {}
  Atomics.store(state, 0, 0);
}, 1000);
`;

/** A running elapsed-time redraw; see {@link startElapsedTicker}. */
export interface ElapsedTicker {
  /** Stops the redraws; after it returns, the ticker writes nothing more. Safe to call more than once. */
  stop(): void;
}

/**
 * Redraws a one-line `prefix + elapsed seconds + suffix` status every second from a worker thread, so the time
 * moves on a terminal even while this thread runs CPU-bound work for seconds on end (fitting an ensemble). The
 * worker is unref'd: it never keeps the process alive.
 *
 * @param fd - the terminal's file descriptor (2 for standard error)
 * @param prefix - the text before the seconds
 * @param suffix - the text after them
 * @param t0 - when the work started (`Date.now()`)
 */
export function startElapsedTicker(fd: number, prefix: string, suffix: string, t0: number): ElapsedTicker {
  const state = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(TICKER, { eval: true, workerData: { state, fd, prefix, suffix, t0 } });
  worker.unref();
  worker.on('error', () => undefined); // a redraw that fails is not worth a crash
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      // Wait out a write in progress (microseconds), then mark it stopped so no write starts after this.
      while (Atomics.compareExchange(state, 0, 0, 2) === 1);
      void worker.terminate();
    },
  };
}
