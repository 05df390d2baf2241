/**
 * A value as an error message shows it after "got": a string quoted (so `"0.5"` is told from `0.5`), a bigint
 * with its `n`, anything else as `String()` writes it (`NaN`, `Infinity`, `null`, `undefined`, `[object Object]`).
 * Never throws, whatever the value (JSON.stringify throws on a bigint and writes NaN as `null`).
 *
 * @param value - the value given
 * @example
 * ```ts
 * describeValue('yes'); // '"yes"'
 * describeValue(Number.NaN); // 'NaN'
 * describeValue(1n); // '1n'
 * ```
 * @internal
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
