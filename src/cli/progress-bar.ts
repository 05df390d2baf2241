import cliProgress from 'cli-progress';
import { shortModelName } from '../runtime/local-path.js';
import type { LoadProgress } from '../runtime/model-options.js';
import { fitLoadBarLine, type LoadBarLine } from './load-bar-line.js';
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
  /**
   * Stops the bar for good where it is (a bar whose models all reported `ready` or `failed` has already finished).
   * Safe to call more than once.
   */
  stop(): void;
}

/**
 * One model of the load under way: its short name, whether its load has ended (`ready` or `failed`), and the bytes
 * of each of its files.
 */
interface ModelLoad {
  name: string;
  ready: boolean;
  files: Map<string, { loaded: number; total: number }>;
}

/**
 * Turns {@link LoadProgress} events into `cli-progress` bars for the CLI. One bar covers every model loading at
 * the same time (an ensemble's members load together): bytes read over all files of all those models (files join
 * the total as they start), labelled with the models' short names (a local folder by its base name, a hub id as
 * given), with the file being read. The bar starts on the first event with a size and finishes at 100% once every
 * model it counts has reported `ready` (a model that reports `failed` ends too, at what was read, and says
 * `failed`: the bar ends before the error is reported, never drawn after it); it stays on screen, and a model that starts loading later gets a bar of its
 * own on the next line. The line always fits the terminal's width, the percentage and byte counts whole (see
 * `fitLoadBarLine`). Nothing is drawn when the stream is not a terminal (unless `noTTYOutput`).
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
  // The models of the bar under way (or of the load before its first size), by `LoadProgress.model`.
  const loads = new Map<string, ModelLoad>();
  let detail = '';
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  let resumeBackground = (): void => undefined;
  const totals = () => {
    let loaded = 0;
    let total = 0;
    for (const m of loads.values()) {
      for (const f of m.files.values()) {
        loaded += f.loaded;
        total += f.total;
      }
    }
    return { loaded, total: Math.max(total, loaded, 1) };
  };
  const line = (progress: number): LoadBarLine => ({
    models: [...loads.values()].map((m) => m.name),
    progress,
    ...totals(),
    detail,
  });
  const endBar = () => {
    bar?.stop();
    bar = undefined;
    resumeBackground(); // the fit/eval bar this one stepped in front of
    resumeBackground = () => undefined;
  };
  const redraw = () => {
    if (!bar) return;
    const { loaded, total } = totals();
    bar.setTotal(total);
    bar.update(loaded);
  };
  // A model ends `ready` (its files count as read) or `failed` (they count as far as they were read).
  const finish = (p: LoadProgress, outcome: 'ready' | 'failed') => {
    const m = loads.get(p.model);
    // A model this bar did not see load (already loaded: nothing was read), or a second end for it.
    if (!m || m.ready) return;
    m.ready = true;
    if (outcome === 'ready') for (const f of m.files.values()) f.loaded = Math.max(f.loaded, f.total);
    detail = loads.size > 1 ? `${m.name} ${outcome}` : outcome;
    redraw();
    if (![...loads.values()].every((l) => l.ready)) return;
    // Its last frame stays on screen, ended before the caller reports anything (a failed load's error included).
    endBar();
    loads.clear();
  };
  const onProgress = (p: LoadProgress) => {
    if (stopped) return;
    if (p.status === 'ready' || p.status === 'failed') return finish(p, p.status);
    if (!p.file) return;
    let m = loads.get(p.model);
    if (!m) {
      m = { name: shortModelName(p.model), ready: false, files: new Map() };
      loads.set(p.model, m);
    }
    m.ready = false; // loading again after it was ready (released and loaded anew)
    const f = m.files.get(p.file) ?? { loaded: 0, total: 0 };
    if (typeof p.total === 'number' && p.total > 0) f.total = p.total;
    if (typeof p.loaded === 'number') f.loaded = p.loaded;
    if (p.status === 'done' && f.total > 0) f.loaded = f.total;
    m.files.set(p.file, f);
    detail = loads.size > 1 ? `${m.name}/${p.file}` : p.file;
    if (bar) return redraw();
    const { loaded, total } = totals();
    if (total <= 1) return;
    bar = new cliProgress.SingleBar(
      {
        ...BAR_TERMINAL_OPTIONS,
        format: (o, params) =>
          fitLoadBarLine(line(params.progress), params.maxWidth, (progress, cells) =>
            drawCells(o, progress, cells),
          ),
        stream: options.stream ?? process.stderr,
        noTTYOutput: options.noTTYOutput ?? false,
        fps: options.fps ?? 10,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    resumeBackground = suspendBackgroundBar();
    bar.start(total, loaded);
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    endBar();
  };
  return { onProgress, stop };
}

/** The bar `cells` wide for `progress`, in the preset's characters. */
function drawCells(o: cliProgress.Options, progress: number, cells: number): string {
  const done = Math.round(Math.min(Math.max(progress, 0), 1) * cells);
  return (o.barCompleteChar ?? '=').repeat(done) + (o.barIncompleteChar ?? '-').repeat(cells - done);
}
