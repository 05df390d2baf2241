/**
 * The text of the model-loading bar, fitted to the terminal's width: `label [bar] 57% | 0.62/1.16 MB | file`.
 * The percentage and the byte counts show whenever they fit; to fit a narrow terminal the line gives up, in this order, the
 * bar's width beyond what leaves 24 columns to the file name (down to 10 cells), the file name's width (elided in
 * the middle, then dropped), the label's width (several models become `2 models`, a long name is elided in the
 * middle), and last the bar itself; below about 20 columns the byte counts go too, and the percentage alone shows.
 *
 * Part of the CLI, not of the package's API.
 *
 * @internal
 * @packageDocumentation
 */

import { MAX_BAR, MIN_BAR } from './bar-layout.js';

/** What one redraw of the loading bar shows. */
export interface LoadBarLine {
  /** The models being loaded, by short name (`tiny-bert`, `Xenova/gpt2`), in the order they started. */
  models: readonly string[];
  /** The share of bytes read, from 0 to 1. */
  progress: number;
  /** Bytes read so far, over all files of all the models. */
  loaded: number;
  /** Bytes to read, over the files known so far. */
  total: number;
  /** What is being read (a file), or `ready`; may be empty. */
  detail: string;
}

/** The shortest elided file name or label worth showing. */
const MIN_TEXT = 8;
/** The columns kept for the file name before the bar narrows below its widest. */
const DETAIL_ROOM = 24;
/** The widest percentage and byte counts below a petabyte: `100% | 0.62/1.16 MB`. */
const TAIL_WIDTH = 19;
/** The ellipsis put where a name is cut (one column). */
const ELLIPSIS = '…';

/**
 * `text` cut in the middle to at most `width` characters (`/work/sha…hf-tiny/tiny-bert`): both ends of a path
 * say the most.
 *
 * @param text - the text
 * @param width - the most characters, at least 1
 */
export function elideMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return ELLIPSIS.slice(0, width);
  const keep = width - 1;
  const head = Math.floor(keep / 2);
  return `${text.slice(0, head)}${ELLIPSIS}${text.slice(text.length - (keep - head))}`;
}

/**
 * Bytes read over bytes to read, both in the unit of the total with its three significant digits
 * (`0.62/1.16 MB`, `31.5/31.5 kB`, `314/314 B`).
 *
 * @param loaded - bytes read
 * @param total - bytes to read
 */
export function byteCounts(loaded: number, total: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let scale = 1;
  let unit = 0;
  while (total / scale >= 999.5 && unit < units.length - 1) {
    scale *= 1000;
    unit++;
  }
  const t = total / scale;
  const digits = unit === 0 ? 0 : t >= 99.5 ? 0 : t >= 9.95 ? 1 : 2;
  return `${(loaded / scale).toFixed(digits)}/${t.toFixed(digits)} ${units[unit]}`;
}

/** The label for the models in at most `width` characters: their names, else `N models`, else elided. */
function labelFor(models: readonly string[], width: number): string {
  const names = models.join(' + ');
  if (names.length <= width || models.length === 1) return elideMiddle(names, width);
  return elideMiddle(`${models.length} models`, width);
}

/**
 * The loading bar's text for a terminal `columns` wide: at most `columns - 1` characters (the last column stays
 * empty, so that no terminal wraps the line), with the percentage and byte counts whole whenever they fit at all.
 *
 * @param line - what to show
 * @param columns - the terminal's width
 * @param drawBar - draws the bar `cells` wide for `line.progress`
 */
export function fitLoadBarLine(
  line: LoadBarLine,
  columns: number,
  drawBar: (progress: number, cells: number) => string,
): string {
  const room = Math.max(0, Math.floor(columns) - 1);
  const percent = `${Math.floor(Math.min(Math.max(line.progress, 0), 1) * 100)}%`;
  const tail = `${percent} | ${byteCounts(line.loaded, line.total)}`;
  const withBar = (label: string, cells: number) => `${label} [${drawBar(line.progress, cells)}] ${tail}`;
  const label = labelFor(line.models, Number.POSITIVE_INFINITY);
  // Laid out for the widest numbers, so that the layout holds still while they change.
  const tailWidth = Math.max(tail.length, TAIL_WIDTH);
  // label, " [", bar, "] ", numbers
  const fixed = label.length + 4 + tailWidth;
  // Everything: the file name gets up to DETAIL_ROOM columns (elided in the middle), the bar the rest (10 to 40
  // cells). The bar's width does not depend on the file name, so that it keeps its width from one file to the next.
  if (line.detail !== '' && room - fixed - MIN_BAR - 3 >= MIN_TEXT) {
    const cells = Math.max(MIN_BAR, Math.min(MAX_BAR, room - fixed - 3 - DETAIL_ROOM));
    return `${withBar(label, cells)} | ${elideMiddle(line.detail, room - fixed - 3 - cells)}`;
  }
  // No file name.
  if (room - fixed >= MIN_BAR) return withBar(label, Math.min(MAX_BAR, room - fixed));
  // A shorter label beside the narrowest bar.
  const labelRoom = room - 4 - MIN_BAR - tailWidth;
  if (labelRoom >= MIN_TEXT) return withBar(labelFor(line.models, labelRoom), MIN_BAR);
  // No bar: the label, as much as fits, and the numbers.
  const bareRoom = room - 1 - tailWidth;
  if (bareRoom >= MIN_TEXT) return `${labelFor(line.models, bareRoom)} ${tail}`;
  // The numbers alone; narrower still, the percentage alone (a byte count cut short would read as another number).
  if (tail.length <= room) return tail;
  return percent.slice(0, room);
}
