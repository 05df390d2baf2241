/**
 * Formats a byte count for people, in decimal units (kB, MB, GB, TB) with three significant digits, the way
 * {@link parseByteSize} reads them back.
 *
 * @param bytes - a byte count
 * @example
 * ```ts
 * formatBytes(1_630_000_000); // '1.63 GB'
 * formatBytes(999); // '999 B'
 * ```
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const abs = Math.abs(bytes);
  if (abs < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes / 1000;
  let i = 0;
  while (Math.abs(v) >= 999.5 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))} ${units[i]}`;
}
