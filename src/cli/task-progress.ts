import cliProgress from 'cli-progress';
import { BAR_TERMINAL_OPTIONS, clearBackgroundBar, setBackgroundBar } from './terminal-bars.js';

/** Options for {@link createTaskProgress}. */
export interface TaskProgressOptions {
  /** What is being done, shown before the bar (`eval`, `fit`...). */
  label: string;
  /** No bar at all (`--quiet`). @defaultValue false */
  quiet?: boolean;
  /** Where the bar is drawn. @defaultValue process.stderr */
  stream?: NodeJS.WriteStream;
}

/** A progress display for long CLI work; every method is a no-op when it is not shown. */
export interface TaskProgress {
  /** True when a bar is drawn (a TTY and not quiet). */
  readonly shown: boolean;
  /** Sets the amount done out of `total`. */
  update(done: number, total: number): void;
  /** Shows work of unknown length: the elapsed time only. */
  busy(what: string): void;
  /** Removes the bar. Safe to call more than once. */
  stop(): void;
}

/**
 * A `cli-progress` bar on standard error for long work (`eval`, `fit`, model loading), with rate and ETA. It is
 * drawn only on a terminal and without `--quiet`: piped or redirected output, logs and tests get nothing.
 *
 * @param options - label, quiet flag and stream
 */
export function createTaskProgress(options: TaskProgressOptions): TaskProgress {
  const stream = options.stream ?? process.stderr;
  const shown = options.quiet !== true && stream.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  let suspended = false;
  let timer: NodeJS.Timeout | undefined;
  // What the bar last showed, to draw it again after a model-loading bar has had the line.
  let last: { format: string; total: number; value: number; payload: Record<string, string> } | undefined;
  const draw = () => {
    if (!last) return;
    bar = new cliProgress.SingleBar(
      { ...BAR_TERMINAL_OPTIONS, format: last.format, stream, fps: 5, clearOnComplete: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(last.total, last.value, last.payload);
  };
  const remove = () => {
    bar?.stop();
    bar = undefined;
  };
  const asBackground = {
    suspend() {
      suspended = true;
      remove();
    },
    resume() {
      suspended = false;
      if (!stopped) draw();
    },
  };
  const start = (format: string, total: number, value: number, payload: Record<string, string>) => {
    last = { format, total, value, payload };
    setBackgroundBar(asBackground);
    if (!suspended) draw();
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearInterval(timer);
    remove();
    clearBackgroundBar(asBackground);
  };
  return {
    shown,
    update(done, total) {
      if (!shown || stopped) return;
      if (timer) {
        clearInterval(timer);
        timer = undefined;
        remove();
        last = undefined;
      }
      if (!last) {
        start(
          `${options.label} [{bar}] {value}/{total} | {percentage}% | ETA {eta_formatted}`,
          total,
          done,
          {},
        );
        return;
      }
      last.total = total;
      last.value = done;
      bar?.setTotal(total);
      bar?.update(done);
    },
    busy(what) {
      if (!shown || stopped || last) return;
      const t0 = Date.now();
      start(`${options.label}: {what} ({elapsed} s)`, 1, 0, { what, elapsed: '0' });
      timer = setInterval(() => {
        if (last) last.payload = { what, elapsed: String(Math.round((Date.now() - t0) / 1000)) };
        bar?.update(0, last?.payload ?? {});
      }, 1000);
      timer.unref();
    },
    stop,
  };
}
