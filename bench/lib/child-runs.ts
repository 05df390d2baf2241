/**
 * Old against new, each timed alone in its own child process (bench/heuristic.ts, bench/stream.ts): timed in one
 * process, two identical copies of the same code measured up to 0.81-1.13x apart (shared JIT and GC state, and
 * whichever copy ran first), the size of the changes these benches are for. The parent runs the script itself
 * again as a child, once per implementation, alternating (new, old, new, old...; `BENCH_REPEATS` pairs, default
 * 3); the child sees which implementation it times through an environment variable and prints its figures as
 * JSON on its last line of stdout.
 */
import { spawnSync } from 'node:child_process';

/** Which implementation a child times: this checkout's src (`new`) or the baseline checkout's (`old`). */
export type Side = 'new' | 'old';

/** The median of `xs` (the upper one of an even count); `xs` is left as it is. */
export const median = (xs: readonly number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;

/** How many pairs of children to run: `BENCH_REPEATS` (a whole number), at least 1, default 3. */
export function benchRepeats(): number {
  const v = process.env['BENCH_REPEATS'];
  if (v === undefined) return 3;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`BENCH_REPEATS must be a whole number, got "${v}"`);
  return Math.max(1, n);
}

/** The side this process times when it is a bench's child (`envVar` set by {@link runChildren}), else undefined. */
export function childSide(envVar: string): Side | undefined {
  const v = process.env[envVar];
  return v === undefined ? undefined : v === 'old' ? 'old' : 'new';
}

/** Ends a child: prints its figures as one JSON line, the line the parent reads back, and exits 0. */
export function reportFromChild(figures: unknown): never {
  console.log(JSON.stringify(figures));
  process.exit(0);
}

/** Where a bench's children come from and how to tell them apart. */
export interface ChildScript {
  /** The bench script's own path (`import.meta.filename`): it runs again as the child. */
  script: string;
  /** The environment variable that tells the child which side it times. */
  envVar: string;
  /** The bench's name, for the error raised when a child fails. */
  name: string;
}

/** Runs `script` as a child that times `side` alone, and reads back the figures of its last line of stdout. */
export function runChild<T>(c: ChildScript, side: Side): T {
  const r = spawnSync(process.execPath, [...process.execArgv, c.script], {
    env: { ...process.env, [c.envVar]: side },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${c.name} bench child (${side}) failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

/**
 * `pairs` children for each side, run one after the other, alternating (new, old, new, old...); without `old`
 * (no baseline checkout) only the new ones run.
 */
export function runChildren<T>(c: ChildScript, pairs: number, old: boolean): { newRuns: T[]; oldRuns: T[] } {
  const newRuns: T[] = [];
  const oldRuns: T[] = [];
  for (let k = 0; k < pairs; k++) {
    newRuns.push(runChild<T>(c, 'new'));
    if (old) oldRuns.push(runChild<T>(c, 'old'));
  }
  return { newRuns, oldRuns };
}
