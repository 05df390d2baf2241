import {
  accessSync,
  closeSync,
  constants,
  lstatSync,
  openSync,
  readlinkSync,
  rmSync,
  type Stats,
  statSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { tempSiblingPath } from './atomic-write.js';

/**
 * How a command writes a file output, which decides what {@link checkWritable} checks:
 * - `replace`: a temporary file beside the path, renamed over it (`writeFileAtomic`): the path's own folder must be
 *   writable, and a symlink at the path is replaced, never written through;
 * - `overwrite`: the file is opened where it is and written from the start (a new `botlens score` run): a symlink
 *   is followed, so the folder of the file it names must be writable when that file does not exist yet;
 * - `append`: as `overwrite`, but the file is opened for appending (`botlens score --resume`).
 */
export type WriteMode = 'replace' | 'overwrite' | 'append';

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
  /**
   * For a `file` output: how it is written (see {@link WriteMode}). Only `overwrite` and `append` accept an
   * existing device, pipe or socket (`/dev/stdout`, a FIFO), which they write as a stream.
   * @defaultValue 'replace'
   */
  writes?: WriteMode;
}

/** Most symlinks followed from one output path (Linux's own limit is 40). */
const MAX_LINKS = 40;

/** The error code a file system error carries (`EROFS`, `EACCES`...), if any. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** ` (CODE)` for an error that has one. */
function codeNote(err: unknown): string {
  const code = codeOf(err);
  return code ? ` (${code})` : '';
}

/** `stat` of `path` (following symlinks), undefined when nothing is there; other errors name the option. */
function statOrNone(path: string, shown: string, option: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (cause) {
    // ENOTDIR (a file named as a folder in the path), ELOOP (a symlink loop), EACCES (a folder on the way).
    throw new InvalidOptionsError(
      option,
      `${shown} cannot be used${codeNote(cause)}: choose another ${option}`,
      {
        cause,
      },
    );
  }
}

/**
 * The path a writer that opens `abs` (following symlinks) creates when nothing exists there: along a chain of
 * symlinks that ends nowhere, the path the last one names. `abs` itself when it is no symlink or names an
 * existing file (opening it writes that file, whatever the chain).
 */
function openedPath(abs: string, option: string): string {
  let p = abs;
  for (let hops = 0; ; hops++) {
    if (!lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink()) return p;
    if (statOrNone(p, abs, option) !== undefined) return p;
    if (hops === MAX_LINKS)
      throw new InvalidOptionsError(
        option,
        `${abs} is a chain of more than ${MAX_LINKS} symlinks: choose another ${option}`,
      );
    p = resolve(dirname(p), readlinkSync(p));
  }
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
 * Refuses an existing file output the writer would fail on. `replace` renames over it, which its mode bits do not
 * stop (EACCES is no refusal) but an immutable or append-only attribute or a read-only file system does; the other
 * modes open it for writing, which its mode bits stop too. Devices, pipes and sockets are written as streams by
 * `overwrite` and `append` (checked with `access`: opening a FIFO would wait for a reader), and refused by `replace`
 * (renaming a file over `/dev/null` would replace the device).
 */
function checkExisting(path: string, shown: string, stats: Stats, writes: WriteMode, option: string): void {
  const regular = stats.isFile();
  if (!regular && writes === 'replace')
    throw new InvalidOptionsError(
      option,
      `${shown} is not a regular file (a device, pipe or socket) and would be replaced: give a file path for ${option}`,
    );
  try {
    if (!regular || writes === 'replace') accessSync(path, constants.W_OK);
    else closeSync(openSync(path, constants.O_WRONLY | (writes === 'append' ? constants.O_APPEND : 0)));
  } catch (cause) {
    if (writes === 'replace' && codeOf(cause) === 'EACCES') return;
    throw new InvalidOptionsError(
      option,
      `${shown} exists and cannot be written${codeNote(cause)}: make it writable, or choose another ${option}`,
      { cause },
    );
  }
}

/**
 * Checks, before any work, that an output can be written at `path` without writing it: the folder that will hold
 * it exists and is a folder (for a `folder` output, the nearest existing ancestor), a `file` output is not a
 * folder and a `folder` output not a file, an existing file can be written the way `writes` says, and the holding
 * folder is writable where a file will be created, which is tried by creating and removing a hidden temporary file
 * in it (so a read-only file system or a folder without write permission fails here, in milliseconds, not after
 * the work). For `overwrite` and `append`, a symlink is followed to the file it names (the folder checked is that
 * file's); `replace` replaces the symlink itself. Whether an existing output may be replaced is the caller's rule.
 *
 * @param path - the output file or folder
 * @param options - the option that named it, whether it is a file or a folder, and how a file is written
 * @throws InvalidOptionsError naming the option and what to change
 * @internal
 */
export function checkWritable(path: string, options: CheckWritableOptions): void {
  const { option } = options;
  const kind = options.kind ?? 'file';
  const writes = options.writes ?? 'replace';
  const abs = resolve(path);
  const self = statOrNone(abs, path, option);
  if (kind === 'file' && self?.isDirectory())
    throw new InvalidOptionsError(option, `${path} is a folder: give a file name for ${option}`);
  if (kind === 'folder' && self !== undefined && !self.isDirectory())
    throw new InvalidOptionsError(option, `${path} is a file: give a folder for ${option}`);
  // The entry a file writer creates or replaces: the path itself for `replace`, the file a symlink names otherwise.
  const entry = kind === 'file' && writes !== 'replace' ? openedPath(abs, option) : abs;
  const shown = entry === abs ? path : `${path} (a symlink to ${entry})`;
  if (kind === 'file') {
    const existing = writes === 'replace' ? lstatSync(abs, { throwIfNoEntry: false }) : self;
    // A symlink that `replace` replaces is no file it writes: only its folder matters.
    if (existing !== undefined && !existing.isSymbolicLink()) {
      checkExisting(abs, shown, existing, writes, option);
      // Written where it is: nothing is created in its folder.
      if (writes !== 'replace') return;
    }
  }
  const holder =
    kind === 'file' || options.createsParents === false ? dirname(entry) : nearestExisting(dirname(abs));
  const held = statOrNone(holder, holder, option);
  if (held === undefined)
    throw new InvalidOptionsError(
      option,
      `the folder ${holder}${entry === abs ? '' : ` (where the symlink ${path} points)`} does not exist: create it first (mkdir -p ${holder}), or choose another ${option}`,
    );
  if (!held.isDirectory())
    throw new InvalidOptionsError(option, `${holder} is not a folder: choose another ${option}`);
  const probe = tempSiblingPath(kind === 'file' ? entry : resolve(holder, 'probe'));
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (cause) {
    throw new InvalidOptionsError(
      option,
      `cannot write in the folder ${holder}${codeNote(cause)}: make it writable, or choose another ${option}`,
      { cause },
    );
  }
  rmSync(probe, { force: true });
}
