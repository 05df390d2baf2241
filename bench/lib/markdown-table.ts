/**
 * Prints a Markdown table: the header row, the alignment row, then one row per entry (cells already formatted).
 * An entry that is a string stands for a row that could not be measured: it fills the second cell, after `name`.
 *
 * @param header - the column titles separated by ` | `; a title ending in `:` is right-aligned (the colon is
 *   not printed), as `--:` aligns a Markdown column
 * @param rows - per row, its name and either its other cells or a note saying why it has none
 */
export function printMarkdownTable(
  header: string,
  rows: readonly { name: string; cells: readonly (string | number)[] | string }[],
): void {
  const columns = header.split(' | ');
  const right = columns.map((c) => c.endsWith(':'));
  console.log(`| ${columns.map((c, i) => (right[i] ? c.slice(0, -1) : c)).join(' | ')} |`);
  console.log(`| ${right.map((r) => (r ? '--:' : '---')).join(' | ')} |`);
  for (const { name, cells } of rows) {
    const rest = typeof cells === 'string' ? [cells, ...columns.slice(2).map(() => '')] : cells;
    console.log(`|${[name, ...rest].map((c) => (c === '' ? ' ' : ` ${c} `)).join('|')}|`);
  }
}
