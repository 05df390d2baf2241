/** How many items of an array {@link describeValue} writes before it says how many more there are. */
const SHOWN_ITEMS = 8;

/**
 * A value as an error message shows it after "got": a string quoted (so `"0.5"` is told from `0.5`), a bigint
 * with its `n`, an array as `[item, item, ...]` with each item written the same way (the first eight, then how many
 * more), anything else as `String()` writes it (`NaN`, `Infinity`, `null`, `undefined`, `[object Object]`).
 * Never throws, whatever the value (JSON.stringify throws on a bigint and writes NaN as `null`).
 *
 * @param value - the value given
 * @example
 * ```ts
 * describeValue('yes'); // '"yes"'
 * describeValue(Number.NaN); // 'NaN'
 * describeValue(1n); // '1n'
 * describeValue([1, '2', 3n]); // '[1, "2", 3n]'
 * ```
 * @internal
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return describeArray(value);
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function describeArray(items: readonly unknown[]): string {
  const shown = items
    .slice(0, SHOWN_ITEMS)
    .map((item) => (Array.isArray(item) ? '[...]' : describeValue(item)));
  const more = items.length - shown.length;
  return `[${shown.join(', ')}${more > 0 ? `, ... ${more} more` : ''}]`;
}
