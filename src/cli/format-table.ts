import { wrapText } from './wrap-text.js';

/** The fewest columns the last column wraps into beside the others; with less room it goes below them. */
const MIN_LAST_COLUMN = 24;

/** How far a last column moved below the other cells is indented. */
const BELOW_INDENT = 4;

/** Options for {@link formatTable}. */
export interface FormatTableOptions {
  /**
   * The most columns a line may take (a terminal's width): the last column's text is wrapped with a hanging
   * indent, its continuation lines starting where the column starts; when fewer than 24 columns are left for it
   * there, it goes on the lines below its row, indented by 4. The other columns are never wrapped.
   * @defaultValue no limit
   */
  width?: number;
}

/**
 * Formats rows as a plain-text table with padded columns. Hand-written: a few lines, and the table libraries
 * (cli-table3 and friends) add box-drawing we do not want in piped output.
 *
 * @param header - the column names
 * @param rows - the cells, row by row
 * @param options - a width to wrap the last column to
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: FormatTableOptions = {},
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const last = header.length - 1;
  // Where the last column starts, and how wide it may be.
  const start = widths.slice(0, last).reduce((s, w) => s + w + 2, 0);
  const room = options.width === undefined ? Number.POSITIVE_INFINITY : options.width - start;
  const beside = room >= MIN_LAST_COLUMN;
  const lastWidth = beside ? room : (options.width ?? 0) - BELOW_INDENT;
  const line = (cells: readonly string[]): string[] => {
    const lead = cells
      .slice(0, last)
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ');
    const text = cells[last] ?? '';
    const row = (before: string, p: string) => (last === 0 ? p : `${before}  ${p}`).trimEnd();
    if (options.width === undefined) return [row(lead, text)];
    const pieces = wrapText(text, lastWidth);
    if (!beside) return [lead.trimEnd(), ...pieces.map((p) => `${' '.repeat(BELOW_INDENT)}${p}`.trimEnd())];
    return pieces.map((p, i) => row(i === 0 ? lead : ' '.repeat(lead.length), p));
  };
  const rule = widths.map((w, i) => '-'.repeat(i === last ? Math.min(w, Math.max(lastWidth, 1)) : w));
  return [header, rule, ...rows].flatMap(line).join('\n');
}
