/**
 * The command line shared by the service load benchmarks (bench/serve-load.ts, bench/serve-overload.ts):
 * `--connections`, `--duration` (seconds), `--rounds`, and one `--skip-…` switch.
 */
import { parseArgs } from 'node:util';

/** A numeric flag's default and the largest value accepted. */
export interface FlagRange {
  default: number;
  max: number;
}

/** The parsed command line. */
export interface LoadArgs {
  connections: number;
  durationS: number;
  rounds: number;
  /** Whether the `--skip-…` switch was given. */
  skip: boolean;
}

/**
 * Reads the load benchmark flags; prints the usage and exits with status 2 when one is out of range
 * (connections and rounds: integers from 1; duration: above 0).
 *
 * @param script - the benchmark's file name, for the usage line
 * @param skipFlag - the name of its switch, e.g. `skip-models`
 * @param ranges - default and largest value of each numeric flag
 */
export function parseLoadArgs(
  script: string,
  skipFlag: string,
  ranges: { connections: FlagRange; duration: FlagRange; rounds: FlagRange },
): LoadArgs {
  const flag = (r: FlagRange) => ({ type: 'string' as const, default: String(r.default) });
  const { values } = parseArgs({
    options: {
      connections: flag(ranges.connections),
      duration: flag(ranges.duration),
      rounds: flag(ranges.rounds),
      [skipFlag]: { type: 'boolean', default: false },
    },
  });
  const parsed = {
    connections: Number(values.connections),
    durationS: Number(values.duration),
    rounds: Number(values.rounds),
    skip: values[skipFlag] === true,
  };
  const count = (n: number, r: FlagRange) => Number.isInteger(n) && n >= 1 && n <= r.max;
  if (
    !count(parsed.connections, ranges.connections) ||
    !(parsed.durationS > 0 && parsed.durationS <= ranges.duration.max) ||
    !count(parsed.rounds, ranges.rounds)
  ) {
    const { connections: c, duration: d, rounds: r } = ranges;
    console.error(
      `usage: npx tsx bench/${script} [--connections 1-${c.max}] [--duration 1-${d.max}] [--rounds 1-${r.max}] [--${skipFlag}]`,
    );
    process.exit(2);
  }
  return parsed;
}
