import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { checkWritable } from '../fs/check-writable.js';

/**
 * Checks `botlens score`'s outputs before any model loads, in CLI terms: `--out` and `--rejects` (default
 * `<out>.rejects.jsonl`) can be written (folders exist and are writable, neither is a folder), and an existing
 * non-empty `--out` is refused without `--resume` (an `--out` that is the corpus is left to `checkScoreOutputs`, which
 * says the files must differ).
 *
 * @param corpus - the input
 * @param flags - `--out`, `--rejects` and `--resume` as given
 * @throws InvalidOptionsError naming the flag and what to do
 */
export function checkScoreFiles(
  corpus: string,
  flags: { out: string; rejects?: string; resume?: boolean },
): void {
  checkWritable(flags.out, { option: '--out' });
  checkWritable(flags.rejects ?? `${flags.out}.rejects.jsonl`, { option: '--rejects' });
  if (resolve(flags.out) === resolve(corpus)) return;
  if (!flags.resume && (statSync(flags.out, { throwIfNoEntry: false })?.size ?? 0) > 0)
    throw new InvalidOptionsError(
      '--out',
      `${flags.out} already exists: continue it with --resume, or remove it to score from the start`,
    );
}
