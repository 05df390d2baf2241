/**
 * A value as one shell word, for a command line printed in a message: as it is when it holds only letters, digits
 * and `@%+=:,./_-`, else in single quotes (a `'` in it written `'\''`), so the printed command runs as printed.
 *
 * @param v - the value
 * @example
 * ```ts
 * shellWord('10,eachClass'); // '10,eachClass'
 * shellWord("my models"); // "'my models'"
 * ```
 * @internal
 */
export function shellWord(v: string): string {
  return /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`;
}
