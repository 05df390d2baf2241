import { InvalidArgumentError } from 'commander';
import { MODEL_DTYPES } from '../core/model-dtypes.js';
import type { NumberRange } from '../core/number-range.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import {
  parseCutShare,
  parseDetectorList,
  parseKnnStopShare,
  parsePrefixCuts,
  parsePrior,
  parseRareBuckets,
  parseThreads,
  parseThreshold,
} from '../flags/ensemble-flags.js';
import { parseNumberFlag } from '../flags/parse-number.js';
import { parseByteSize } from '../select/parse-byte-size.js';

/**
 * Turns a flag's checking parser (which throws {@link InvalidOptionsError}) into a commander argument parser: a
 * bad value is then a usage error, refused while the command line is parsed (exit 2, one line and the `--help`
 * hint), before any file is read or model loaded. The value is kept as typed: the command parses it again with the
 * same function where it uses it.
 *
 * @param parse - the flag's parser
 * @returns the argument parser for `Option.argParser`
 */
export function usageChecked(parse: (value: string) => unknown): (value: string) => string {
  return (value) => {
    try {
      parse(value);
    } catch (err) {
      if (!InvalidOptionsError.isInstance(err)) throw err;
      throw new InvalidArgumentError(err.message.replace(/^Invalid option "[^"]*": /, ''));
    }
    return value;
  };
}

/**
 * A number flag's argument parser: decimal notation inside `range` (see `parseNumberFlag`).
 *
 * @param range - where the number must lie
 * @param message - the error text for a bad value
 */
function numberArg(range: NumberRange, message?: (value: string) => string): (value: string) => string {
  return usageChecked((v) => parseNumberFlag('', v, range, message));
}

/** A whole number of at least `min` (a count: `--workers`, `--batch-size`, `--concurrency`...). */
export function countArg(min: number): (value: string) => string {
  return numberArg({ min, max: Number.POSITIVE_INFINITY, integer: true });
}

/** The shared argument parsers of the CLI's value flags, one per kind; every command uses these. */
export const ARG = {
  /** A probability in [0, 1] (`--threshold`). */
  threshold: usageChecked(parseThreshold),
  /** Intra-op threads, 1 to 1024 (`--threads`). */
  threads: usageChecked(parseThreads),
  /** A share in (0, 1) (`--prior`). */
  prior: usageChecked(parsePrior),
  /** A share in (0, 1] (`--member-prefix-cut-share`). */
  cutShare: usageChecked(parseCutShare),
  /** A share in (0, 1] (`--knn-stop-share`). */
  knnStopShare: usageChecked(parseKnnStopShare),
  /** `N[,drop|shrink][,any|eachClass]` (`--rare-buckets`). */
  rareBuckets: usageChecked(parseRareBuckets),
  /** A byte size such as `2GB` or `512MiB` (`check-model --budget`). */
  byteSize: usageChecked((v) => parseByteSize(v, '--budget')),
  /** A file to write: not empty (`--out ''` would name the working folder). */
  outFile: usageChecked((v) => {
    if (v.trim() === '')
      throw new InvalidOptionsError('--out', 'it is empty: give a file name, or - for standard output');
  }),
  /** `none` or positive whole numbers, each once (`--member-prefix-cuts`). */
  prefixCuts: usageChecked(parsePrefixCuts),
  /** Registered detector types, comma-separated (`--detectors`). */
  detectors: usageChecked(parseDetectorList),
  /** A TCP port, 0 to 65535 (`--port`). */
  port: numberArg({ min: 0, max: 65535, integer: true }),
  /** A number 0 or more (`check-model` limits). */
  nonNegative: numberArg({ min: 0, max: Number.POSITIVE_INFINITY }),
  /** A number above 0 (`--tolerance`). */
  positive: numberArg({ min: 0, max: Number.POSITIVE_INFINITY, minOpen: true }),
  /** Any decimal number, whole when `integer` (ranges checked by what uses it: `lora train`). */
  anyNumber: numberArg({ min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY }),
  /** Any whole number (ranges checked by what uses it: `lora train`). */
  anyWholeNumber: numberArg({
    min: Number.NEGATIVE_INFINITY,
    max: Number.POSITIVE_INFINITY,
    integer: true,
  }),
} as const;

/**
 * The argument parser of a repeatable, comma-separated `--dtype` list (`pull`): every item must be a dtype, else a
 * usage error (exit 2) naming it and the dtypes there are.
 *
 * @param value - this occurrence of the flag
 * @param previous - the dtypes of the earlier ones
 */
export function dtypeListArg(value: string, previous: string[]): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = items.find((d) => !(MODEL_DTYPES as readonly string[]).includes(d));
  if (bad !== undefined || items.length === 0)
    throw new InvalidArgumentError(
      `got ${JSON.stringify(bad ?? value)}: give one or more of ${MODEL_DTYPES.join(', ')}, comma-separated`,
    );
  return [...previous, ...items];
}
