/** How many items of an array {@link describeValue} writes before it says how many more there are. */
const SHOWN_ITEMS = 8;

/** The longest a plain object's JSON is written before it is cut (with `...` after it). */
const SHOWN_CHARS = 80;

/** What the JSON replacer writes for a bigint, before {@link BIGINT_IN_JSON} turns it back into `1n`. */
const BIGINT_MARK = '\u0000bigint:';
const BIGINT_IN_JSON = /"\\u0000bigint:(-?\d+)"/g;

/**
 * A value as an error message shows it after "got": a string quoted (so `"0.5"` is told from `0.5`), a bigint
 * with its `n`, an array as `[item, item, ...]` with each item written the same way (the first eight, then how many
 * more), a plain object as its JSON (bigints in it with their `n`, cut after 80 characters with `...`), anything
 * else as `String()` writes it (`NaN`, `Infinity`, `null`, `undefined`, a `Date`'s text). Never throws, whatever
 * the value (a cycle, a throwing getter or a revoked `Proxy` included): JSON.stringify throws on a bigint and
 * writes NaN as `null`.
 *
 * @param value - the value given
 * @example
 * ```ts
 * describeValue('yes'); // '"yes"'
 * describeValue(Number.NaN); // 'NaN'
 * describeValue(1n); // '1n'
 * describeValue([1, '2', 3n]); // '[1, "2", 3n]'
 * describeValue({ q8: true, n: 1n }); // '{"q8":true,"n":1n}'
 * ```
 * @internal
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (isArray(value)) return describeArray(value);
  return (isPlainObject(value) ? describeObject(value) : undefined) ?? describeOther(value);
}

/** `Array.isArray`, false where it throws (a revoked `Proxy`). */
function isArray(value: unknown): value is readonly unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/** True for an object literal or an `Object.create(null)` object; false where the check throws. */
function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  } catch {
    return false;
  }
}

/** A plain object's JSON, bigints with their `n`, cut after {@link SHOWN_CHARS}; `undefined` where it throws. */
function describeObject(value: object): string | undefined {
  try {
    const json = JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'bigint' ? `${BIGINT_MARK}${v}` : v,
    ).replace(BIGINT_IN_JSON, '$1n');
    return json.length > SHOWN_CHARS ? `${json.slice(0, SHOWN_CHARS)}...` : json;
  } catch {
    return undefined;
  }
}

/** `String(value)`, else its `Object.prototype.toString` tag, else a tag from `typeof`. */
function describeOther(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return typeof value === 'function' ? '[object Function]' : '[object Object]';
    }
  }
}

function describeArray(items: readonly unknown[]): string {
  try {
    const shown = items.slice(0, SHOWN_ITEMS).map((item) => (isArray(item) ? '[...]' : describeValue(item)));
    const more = items.length - shown.length;
    return `[${shown.join(', ')}${more > 0 ? `, ... ${more} more` : ''}]`;
  } catch {
    // A Proxy whose traps throw: Array.isArray said array, but its items cannot be read.
    return '[...]';
  }
}
