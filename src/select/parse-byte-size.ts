import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Reads a size such as `'4GB'`, `'1.5 GiB'`, `'512mb'` or a number of bytes. `KB`, `MB`, `GB`, `TB` (and `K`, `M`,
 * `G`, `T`) are decimal (10^3 steps, as disk and RAM vendors count); `KiB`, `MiB`, `GiB`, `TiB` are binary
 * (2^10 steps). Case does not matter.
 *
 * @param value - bytes, or a number with a unit
 * @param option - the option name used in the error message
 * @returns the size in bytes (rounded down to a whole byte)
 * @throws InvalidOptionsError for anything else (negative, not finite, unknown unit)
 * @example
 * ```ts
 * parseByteSize('4GB'); // 4000000000
 * parseByteSize('2GiB'); // 2147483648
 * parseByteSize(1024); // 1024
 * ```
 */
export function parseByteSize(value: number | string, option = 'memoryBudget'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) {
      throw new InvalidOptionsError(
        option,
        `expected a positive number of bytes, got ${describeValue(value)}`,
      );
    }
    return Math.floor(value);
  }
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(value);
    const unit = m?.[2]?.toLowerCase();
    const scale = unit === undefined ? undefined : UNITS[unit];
    if (m && scale !== undefined) {
      const bytes = Math.floor(Number(m[1]) * scale);
      if (bytes > 0) return bytes;
    }
  }
  throw new InvalidOptionsError(
    option,
    `expected a size such as 4GB, 512MB, 2GiB or a number of bytes, got ${describeValue(value)}`,
  );
}
