/**
 * Breaks `text` into lines of at most `width` characters, at spaces (a run of spaces between two lines is
 * dropped); a word longer than `width` is cut. Empty text gives one empty line.
 *
 * @param text - one paragraph (no newlines)
 * @param width - the most characters a line may hold (at least 1)
 * @example
 * ```ts
 * wrapText('the quick brown fox', 10); // ['the quick', 'brown fox']
 * ```
 */
export function wrapText(text: string, width: number): string[] {
  const max = Math.max(1, Math.floor(width));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/).filter((w) => w !== '')) {
    let rest = word;
    if (line !== '' && line.length + 1 + rest.length <= max) {
      line += ` ${rest}`;
      continue;
    }
    if (line !== '') lines.push(line);
    while (rest.length > max) {
      lines.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    line = rest;
  }
  lines.push(line);
  return lines;
}
