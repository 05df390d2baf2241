import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { tempSiblingPath } from './atomic-write.js';

/** Options for {@link checkWritable}. */
export interface CheckWritableOptions {
  /** The option that named the output (`--out`, `--rejects`), for messages. */
  option: string;
  /**
   * What is written there: a `file` (its folder must exist) or a `folder` (created with any missing parents, so
   * the nearest existing one must be a writable folder).
   * @defaultValue 'file'
   */
  kind?: 'file' | 'folder';
  /**
   * For a `folder` output: whether the writer creates missing parent folders (`true`: the nearest existing one is
   * checked) or needs the parent to exist, as for a file.
   * @defaultValue true
   */
  createsParents?: boolean;
}

/** The error code a file system error carries (`EROFS`, `EACCES`...), if any. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The nearest folder of `path` that exists (or the path itself when it exists), for a folder output. */
function nearestExisting(path: string): string {
  let p = path;
  while (statSync(p, { throwIfNoEntry: false }) === undefined) {
    const parent = dirname(p);
    if (parent === p) return p;
    p = parent;
  }
  return p;
}

/**
 * Checks, before any work, that an output can be written at `path` without writing it: the folder that will hold
 * it exists and is a folder (for a `folder` output, the nearest existing ancestor), a `file` output is not a
 * folder and a `folder` output not a file, and the holding folder is writable, which is tried by creating and
 * removing a hidden temporary file in it (so a read-only file system or a folder without write permission fails
 * here, in milliseconds, not after the work). Whether an existing output may be replaced is the caller's rule.
 *
 * @param path - the output file or folder
 * @param options - the option that named it, and whether it is a file or a folder
 * @throws InvalidOptionsError naming the option and what to change
 * @internal
 */
export function checkWritable(path: string, options: CheckWritableOptions): void {
  const { option } = options;
  const kind = options.kind ?? 'file';
  const abs = resolve(path);
  const self = statSync(abs, { throwIfNoEntry: false });
  if (kind === 'file' && self?.isDirectory())
    throw new InvalidOptionsError(option, `${path} is a folder: give a file name for ${option}`);
  if (kind === 'folder' && self !== undefined && !self.isDirectory())
    throw new InvalidOptionsError(option, `${path} is a file: give a folder for ${option}`);
  const holder =
    kind === 'file' || options.createsParents === false ? dirname(abs) : nearestExisting(dirname(abs));
  const held = statSync(holder, { throwIfNoEntry: false });
  if (held === undefined)
    throw new InvalidOptionsError(
      option,
      `the folder ${holder} does not exist: create it first (mkdir -p ${holder}), or choose another ${option}`,
    );
  if (!held.isDirectory())
    throw new InvalidOptionsError(option, `${holder} is not a folder: choose another ${option}`);
  const probe = tempSiblingPath(kind === 'file' ? abs : resolve(holder, 'probe'));
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (cause) {
    const code = codeOf(cause);
    throw new InvalidOptionsError(
      option,
      `cannot write in the folder ${holder}${code ? ` (${code})` : ''}: make it writable, or choose another ${option}`,
      { cause },
    );
  }
  rmSync(probe, { force: true });
}
