import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { runCli } from './run-cli.js';

// Kept apart from run-cli.ts, which benches import (bench/serve-load.ts through built-package.ts): this helper
// asserts with vitest's expect, which throws when imported outside a vitest run.

/**
 * Runs `botlens fit --data <data> <flags> --out <out>`, expects it to succeed (exit 0, nothing on stderr that
 * mentions an error), and returns the fitted file's JSON, typed as the caller says it reads it (`T`; not checked).
 *
 * @param data - the labelled JSONL
 * @param flags - the arguments between `--data` and `--out`, one per element
 * @param out - where the fitted file goes
 */
export async function fitWithCli<T = Record<string, unknown>>(
  data: string,
  flags: readonly string[],
  out: string,
): Promise<T> {
  const fit = await runCli(['fit', '--data', data, ...flags, '--out', out]);
  expect(fit.stderr).not.toMatch(/error/i);
  expect(fit.code).toBe(0);
  return JSON.parse(await readFile(out, 'utf8')) as T;
}

/** The CLI flags of the heuristic + hashing-embedding stacking ensemble (fits offline in about a second). */
export const HASHING_STACKING_FLAGS: readonly string[] = Object.freeze([
  '--detectors',
  'heuristic,embedding',
  '--embedder',
  'hashing',
  '--strategy',
  'stacking',
]);
