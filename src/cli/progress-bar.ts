import cliProgress from 'cli-progress';
import type { LoadProgress } from '../runtime/model-options.js';
import { BAR_TERMINAL_OPTIONS, suspendBackgroundBar } from './terminal-bars.js';

/** Options for {@link createLoadProgressBar}. */
export interface LoadProgressBarOptions {
  /**
   * Where the bar is drawn.
   * @defaultValue process.stderr
   */
  stream?: NodeJS.WritableStream;
  /**
   * Draw even when the stream is not a terminal (one line per redraw; for logs and tests).
   * @defaultValue false
   */
  noTTYOutput?: boolean;
  /**
   * Redraws per second at most.
   * @defaultValue 10
   */
  fps?: number;
}

/** A progress bar fed by model-loading events. */
export interface LoadProgressBar {
  /** Pass this as `onProgress` in the model options. */
  onProgress: (p: LoadProgress) => void;
  /** Stops and removes the bar (also done on the `ready` event). Safe to call more than once. */
  stop(): void;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/**
 * Turns {@link LoadProgress} events into one `cli-progress` bar for the CLI: bytes read over all files of the
 * model (files join the total as they start), with the file being read. The bar starts on the first event with a
 * size and stops on `ready`. Nothing is drawn when the stream is not a terminal (unless `noTTYOutput`).
 *
 * Part of the CLI, not of the package's API: in your own code, pass your own `onProgress` callback (see
 * `LoadProgress`) to a model-backed detector.
 *
 * @param options - output stream and drawing options
 * @example
 * ```ts
 * // inside src/cli: the bar `botlens pull` draws
 * const bar = createLoadProgressBar();
 * try {
 *   await pullModel(id, { onProgress: bar.onProgress });
 * } finally {
 *   bar.stop();
 * }
 * ```
 * @internal
 */
export function createLoadProgressBar(options: LoadProgressBarOptions = {}): LoadProgressBar {
  const files = new Map<string, { loaded: number; total: number }>();
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  let resumeBackground = (): void => undefined;
  const totals = () => {
    let loaded = 0;
    let total = 0;
    for (const f of files.values()) {
      loaded += f.loaded;
      total += f.total;
    }
    return { loaded, total: Math.max(total, loaded, 1) };
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    bar?.stop();
    resumeBackground(); // the fit/eval bar this one stepped in front of
  };
  const onProgress = (p: LoadProgress) => {
    if (stopped) return;
    if (p.status === 'ready') {
      if (bar) {
        const { total } = totals();
        bar.update(total, { file: 'ready' });
      }
      stop();
      return;
    }
    if (!p.file) return;
    const f = files.get(p.file) ?? { loaded: 0, total: 0 };
    if (typeof p.total === 'number' && p.total > 0) f.total = p.total;
    if (typeof p.loaded === 'number') f.loaded = p.loaded;
    if (p.status === 'done' && f.total > 0) f.loaded = f.total;
    files.set(p.file, f);
    const { loaded, total } = totals();
    if (!bar) {
      if (total <= 1) return;
      bar = new cliProgress.SingleBar(
        {
          ...BAR_TERMINAL_OPTIONS,
          format: `${p.model} [{bar}] {percentage}% | {loadedMb}/{totalMb} MB | {file}`,
          stream: options.stream ?? process.stderr,
          noTTYOutput: options.noTTYOutput ?? false,
          fps: options.fps ?? 10,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      resumeBackground = suspendBackgroundBar();
      bar.start(total, loaded, { file: p.file, loadedMb: mb(loaded), totalMb: mb(total) });
      return;
    }
    bar.setTotal(total);
    bar.update(loaded, { file: p.file, loadedMb: mb(loaded), totalMb: mb(total) });
  };
  return { onProgress, stop };
}
