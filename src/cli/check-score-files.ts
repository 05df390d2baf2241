import { statSync } from 'node:fs';
import { isStreamOutput, STDOUT } from '../corpus/output-file.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { checkWritable } from '../fs/check-writable.js';
import { assertOutputSeparate, realPathOf } from '../fs/safe-paths.js';
import { STDIN } from './standard-streams.js';

/** `botlens score`'s output flags. */
export interface ScoreFileFlags {
  /** `--out`: the scores file, `-` for standard output. */
  out: string;
  /** `--rejects`: the rejects file. */
  rejects?: string;
  /** `--resume`. */
  resume?: boolean;
  /** `--on-invalid`. */
  onInvalid?: 'skip' | 'fail';
}

/** A stream output in words. */
function describeStream(path: string): string {
  return path === STDOUT ? 'standard output' : `${path}, which is not a regular file`;
}

/**
 * Checks `botlens score`'s outputs before any model loads, in CLI terms: `--out` and `--rejects` (default
 * `<out>.rejects.jsonl`) can be written where they land (a symlinked `--out` is written through, so the folder of
 * the file it names must exist; an existing file must be writable; neither is a folder), and an existing non-empty
 * `--out` is refused without `--resume`; an output that is the corpus (or the other output), through a symlink too,
 * is refused. `--out -` (standard output), or a device or pipe such as `/dev/stdout`, is written as a
 * stream: no rejects file is made beside it (`--on-invalid skip` needs `--rejects`), and `--resume` is refused.
 *
 * @param corpus - the input, `-` for standard input
 * @param flags - `--out`, `--rejects`, `--resume` and `--on-invalid` as given
 * @throws InvalidOptionsError naming the flag and what to do
 */
export function checkScoreFiles(corpus: string, flags: ScoreFileFlags): void {
  const writes = flags.resume ? 'append' : 'overwrite';
  // Standard input (-) is no path an output could be.
  const inputs = corpus === STDIN ? [] : [{ option: '<corpus>', path: corpus }];
  if (flags.out !== STDOUT) {
    checkWritable(flags.out, { option: '--out', writes });
    // Real paths: a symlink to the corpus is the corpus (a resume would cut its last line).
    assertOutputSeparate({ option: '--out', path: flags.out }, inputs);
  }
  if (flags.rejects === STDOUT)
    throw new InvalidOptionsError(
      '--rejects',
      'the rejects cannot go to standard output (--out - may): give a file, or /dev/stderr',
    );
  if (flags.resume)
    for (const [flag, path] of [
      ['--out', flags.out],
      ['--rejects', flags.rejects],
    ] as const)
      if (path !== undefined && isStreamOutput(path))
        throw new InvalidOptionsError(
          '--resume',
          `${flag} is ${describeStream(path)}, which cannot be resumed: give ${flag} a file`,
        );
  if (isStreamOutput(flags.out) && flags.rejects === undefined && flags.onInvalid === 'skip')
    throw new InvalidOptionsError(
      '--rejects',
      `--out is ${describeStream(flags.out)}, so --on-invalid skip has no rejects file beside it: name one with --rejects`,
    );
  const rejects = flags.rejects ?? (isStreamOutput(flags.out) ? undefined : `${flags.out}.rejects.jsonl`);
  if (rejects !== undefined) {
    checkWritable(rejects, { option: '--rejects', writes });
    assertOutputSeparate({ option: '--rejects', path: rejects }, inputs);
    if (flags.out !== STDOUT && realPathOf(rejects) === realPathOf(flags.out))
      throw new InvalidOptionsError('--rejects', `${rejects} is the --out file: choose another --rejects`);
  }
  if (isStreamOutput(flags.out)) return;
  if (!flags.resume && (statSync(flags.out, { throwIfNoEntry: false })?.size ?? 0) > 0)
    throw new InvalidOptionsError(
      '--out',
      corpus === STDIN
        ? `${flags.out} already exists: remove it to score from the start, or give another --out (a corpus read from standard input cannot be resumed: to continue ${flags.out}, save that input to a file and score the file with --resume)`
        : `${flags.out} already exists: continue it with --resume, or remove it to score from the start`,
    );
}
