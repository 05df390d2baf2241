import cliProgress from 'cli-progress';
import {
  type BarLayout,
  chooseBarLayout,
  ETA_WIDTH,
  fittingFormat,
  MAX_BAR,
  terminalColumns,
} from './bar-layout.js';
import { type ElapsedTicker, startElapsedTicker } from './elapsed-ticker.js';
import { elideMiddle } from './load-bar-line.js';
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

/**
 * The `cli-progress` format of a counted task's line and its bar's width, for a terminal `columns` wide: the counts
 * and the percentage always show while they fit at all; to fit, the line first narrows the bar (40 down to 10
 * cells), then drops the bar, then the label and the ETA.
 *
 * @param label - what is being done (`eval`, `fit`)
 * @param total - the amount of work, for the widest counts
 * @param columns - the terminal's width
 * @internal
 */
export function taskBarLayout(
  label: string,
  total: number,
  columns: number,
): { format: string; barsize: number } {
  const counts = `${total}/${total}`.length;
  const tail = counts + ' | 100% | ETA '.length + ETA_WIDTH;
  const rest = '{value}/{total} | {percentage}% | ETA {eta_formatted}';
  return chooseBarLayout(
    [
      { format: `${label} [{bar}] ${rest}`, width: label.length + ' [] '.length + tail, bar: true },
      { format: `${label} ${rest}`, width: label.length + 1 + tail, bar: false },
      { format: '{value}/{total} | {percentage}%', width: counts + ' | 100%'.length, bar: false },
      { format: '{percentage}%', width: 4, bar: false },
    ],
    columns,
  );
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
  // Redraws the busy line's seconds while this thread is busy (a timer here cannot fire then).
  let ticker: ElapsedTicker | undefined;
  // What the bar last showed, to draw it again after a model-loading bar has had the line.
  let last: { layout: BarLayout; total: number; value: number; payload: Record<string, string> } | undefined;
  const draw = () => {
    if (!last) return;
    bar = new cliProgress.SingleBar(
      {
        ...BAR_TERMINAL_OPTIONS,
        format: fittingFormat(last.layout),
        barsize: MAX_BAR,
        stream,
        fps: 5,
        clearOnComplete: true,
        etaBuffer: 50,
      },
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
  const start = (layout: BarLayout, total: number, value: number, payload: Record<string, string>) => {
    last = { layout, total, value, payload };
    setBackgroundBar(asBackground);
    if (!suspended) draw();
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearInterval(timer);
    ticker?.stop();
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
        ticker?.stop();
        ticker = undefined;
        remove();
        last = undefined;
      }
      if (!last) {
        // Laid out again at each redraw, for the terminal's width and the total then.
        start((c) => taskBarLayout(options.label, last?.total ?? total, c), total, done, {});
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
      // `label: what (12345 s)`, what cut in the middle to fit the terminal.
      // `what` cut in the middle to fit the terminal at each redraw.
      const busyLine: BarLayout = (c) => {
        const room = c - 1 - options.label.length - ': ( s)'.length - 5;
        return {
          format: `${options.label}: {what} ({elapsed} s)`,
          barsize: 10,
          payload: { what: elideMiddle(what, Math.max(1, room)) },
        };
      };
      start(busyLine, 1, 0, { elapsed: '0' });
      // A terminal that reports 0 columns (or none) is of unknown width: laid out for 80, as the bar is.
      const columns = terminalColumns(stream);
      const elided = elideMiddle(what, Math.max(1, columns - 1 - options.label.length - ': ( s)'.length - 5));
      const fd = (stream as { fd?: unknown }).fd;
      if (typeof fd === 'number') ticker = startElapsedTicker(fd, `${options.label}: ${elided} (`, ' s)', t0);
      timer = setInterval(() => {
        if (last) last.payload = { elapsed: String(Math.round((Date.now() - t0) / 1000)) };
        bar?.update(0, last?.payload ?? {});
      }, 1000);
      timer.unref();
    },
    stop,
  };
}
