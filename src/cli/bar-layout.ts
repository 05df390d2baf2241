/**
 * Fitting a `cli-progress` line to the terminal's width. `cli-progress` draws its format as given and the terminal
 * cuts what passes the last column (the percentage, first); it has no layout of its own, hence this.
 *
 * Part of the CLI, not of the package's API.
 *
 * @internal
 * @packageDocumentation
 */

import cliProgress from 'cli-progress';

/** The widest bar, in cells (what `cli-progress` draws by default). */
export const MAX_BAR = 40;
/** The narrowest bar worth drawing, in cells. */
export const MIN_BAR = 10;

/** One way to write a progress line, from the fullest to the barest. */
export interface BarLayoutChoice {
  /** The `cli-progress` format. */
  format: string;
  /** Its widest width without the bar's cells (laid out for the widest values, so the layout holds still). */
  width: number;
  /** True when the format has a `{bar}`. */
  bar: boolean;
}

/**
 * The first choice that fits a terminal `columns` wide in at most `columns - 1` characters (the last column stays
 * empty, so that no terminal wraps the line), with the bar's width for it: a choice with a bar fits with at least 10
 * cells (at most 40); the last choice is taken when none fits.
 *
 * @param choices - the ways to write the line, fullest first (at least one)
 * @param columns - the terminal's width
 */
export function chooseBarLayout(
  choices: readonly BarLayoutChoice[],
  columns: number,
): { format: string; barsize: number } {
  const room = Math.max(0, Math.floor(columns) - 1);
  for (const c of choices) {
    const cells = room - c.width;
    if (c.bar && cells >= MIN_BAR) return { format: c.format, barsize: Math.min(MAX_BAR, cells) };
    if (!c.bar && cells >= 0) return { format: c.format, barsize: MIN_BAR };
  }
  const last = choices.at(-1);
  return { format: last?.format ?? '', barsize: MIN_BAR };
}

/** The widest ETA `cli-progress` writes below 100 hours (`99h59m`). */
export const ETA_WIDTH = 6;

/**
 * The terminal's width in columns, for a stream that is a terminal; 80 otherwise (and for one that says 0).
 *
 * @param stream - where the bar is drawn
 */
export function terminalColumns(stream: NodeJS.WriteStream): number {
  return stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
}

/**
 * A line's layout for a terminal `columns` wide: the `cli-progress` format, the bar's width in cells and values
 * for the format's own placeholders that depend on the width (a text cut to fit: given as a value, not written
 * into the format, so that braces in it stay text).
 */
export type BarLayout = (columns: number) => {
  format: string;
  barsize: number;
  payload?: Record<string, string>;
};

/**
 * A `cli-progress` format function that lays the line out again at every redraw for the terminal's width then
 * (`params.maxWidth`, which `cli-progress` reads from the stream each time), so the line follows a resized
 * terminal instead of keeping the layout of its first frame. The bar must be made with `barsize: MAX_BAR`: its
 * pre-drawn strings are that long, and the layout draws at most that many cells.
 *
 * @param layout - the line's layout for a width (e.g. {@link chooseBarLayout} over fixed choices)
 */
export function fittingFormat(layout: BarLayout): cliProgress.GenericFormatter {
  return (options, params, payload) => {
    const { format, barsize, payload: fitted } = layout(params.maxWidth);
    return cliProgress.Format.Formatter(
      { ...options, format, barsize },
      params,
      fitted === undefined ? payload : { ...payload, ...fitted },
    );
  };
}
