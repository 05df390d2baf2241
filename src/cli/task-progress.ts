import cliProgress from 'cli-progress';

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
  let timer: NodeJS.Timeout | undefined;
  const start = (format: string, total: number, value: number, payload: object) => {
    bar = new cliProgress.SingleBar(
      { format, stream, fps: 5, clearOnComplete: true, hideCursor: null, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, value, payload);
  };
  return {
    shown,
    update(done, total) {
      if (!shown || stopped) return;
      if (timer) {
        clearInterval(timer);
        timer = undefined;
        bar?.stop();
        bar = undefined;
      }
      if (!bar) {
        start(
          `${options.label} [{bar}] {value}/{total} | {percentage}% | ETA {eta_formatted}`,
          total,
          done,
          {},
        );
        return;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    busy(what) {
      if (!shown || stopped || bar) return;
      const t0 = Date.now();
      start(`${options.label}: {what} ({elapsed} s)`, 1, 0, { what, elapsed: '0' });
      timer = setInterval(
        () => bar?.update(0, { elapsed: String(Math.round((Date.now() - t0) / 1000)) }),
        1000,
      );
      timer.unref();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      bar?.stop();
    },
  };
}
