import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { type CheckWritableOptions, checkWritable } from './check-writable.js';

/**
 * The real path of `p` (symlinks resolved), also for a path that does not exist yet: the deepest existing
 * ancestor is resolved and the missing tail appended. So `out -> base` (a symlink) and `base` compare equal, and
 * so do `link/x` and `base/x`.
 *
 * @param p - a file or folder path (relative to the working directory)
 * @internal
 */
export function realPathOf(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync.native(head), ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return abs;
      tail.push(basename(head));
      head = parent;
    }
  }
}

/**
 * True when `child` is `parent` or lies inside it (after both are made absolute; no symlink resolution: pass real
 * paths from {@link realPathOf}).
 *
 * @param parent - a folder
 * @param child - a path
 * @internal
 */
export function isSameOrInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Refuses a path that resolves (symlinks included) outside `root`: the guard for every path that is built from
 * input (a model id, a revision, a file name a hub listed) inside a cache folder.
 *
 * @param root - the folder the path must stay in
 * @param path - the path built from input
 * @param what - the option or input the path came from, for the message
 * @returns the real path
 * @throws InvalidOptionsError when the path escapes `root`
 * @internal
 */
export function assertInside(root: string, path: string, what: string): string {
  const realRoot = realPathOf(root);
  const real = realPathOf(path);
  if (!isSameOrInside(realRoot, real) || real === realRoot) {
    throw new InvalidOptionsError(what, `the path ${path} resolves outside ${root}; refusing to use it`);
  }
  return real;
}

/** One input of a command, for {@link assertOutputSeparate}. */
export interface NamedPath {
  /** The option that named it (`--base`, `--data`...). */
  option: string;
  /** The path. */
  path: string;
}

/**
 * Refuses an output that is an input, lies inside one, or contains one, comparing real paths (so a symlink to an
 * input counts as the input). Call it before any work, so nothing is computed for an output that will be refused.
 *
 * @param output - the output option and path
 * @param inputs - the inputs the command reads
 * @throws InvalidOptionsError naming both options
 * @internal
 */
export function assertOutputSeparate(output: NamedPath, inputs: readonly NamedPath[]): void {
  const out = realPathOf(output.path);
  for (const input of inputs) {
    const inp = realPathOf(input.path);
    if (isSameOrInside(inp, out) || isSameOrInside(out, inp)) {
      const how = out === inp ? 'is' : isSameOrInside(inp, out) ? 'is inside' : 'contains';
      throw new InvalidOptionsError(
        output.option,
        `${output.path} ${how} the input ${input.option} ${input.path} (real path ${inp}); writing there would overwrite it: choose another ${output.option}`,
      );
    }
  }
}

/** Options for {@link checkOutputFile} and {@link checkOutputFolder}. */
export interface CheckOutputFileOptions extends Pick<CheckWritableOptions, 'createsParents'> {
  /** The option that named the output, for messages. */
  option: string;
  /**
   * Replace an existing output.
   * @defaultValue false
   */
  force?: boolean;
  /**
   * The flag that sets `force`, named in the refusal.
   * @defaultValue '--force'
   */
  forceFlag?: string;
}

/** The refusal of an existing output without `force`. */
function existsError(path: string, options: CheckOutputFileOptions): InvalidOptionsError {
  return new InvalidOptionsError(
    options.option,
    `${path} already exists: pass ${options.forceFlag ?? '--force'} to replace it, or choose another ${options.option}`,
  );
}

/**
 * Checks, before any work, that a file can be written at `path` ({@link checkWritable}: its folder exists and is
 * writable, the path is not a folder), and that an existing file, or a symlink (one whose target is missing too),
 * is only replaced with `force`.
 *
 * @param path - the output file
 * @param options - the option name and `force`
 * @throws InvalidOptionsError telling the user what to change
 * @internal
 */
export function checkOutputFile(path: string, options: CheckOutputFileOptions): void {
  checkWritable(path, { option: options.option });
  if (options.force) return;
  // The entry itself, not what it names: a symlink whose target is missing is there too, and replacing it is no
  // less a replacement than replacing one that names a file.
  const entry = lstatSync(path, { throwIfNoEntry: false });
  if (entry?.isSymbolicLink() && !statSync(path, { throwIfNoEntry: false })) {
    throw new InvalidOptionsError(
      options.option,
      `${path} already exists as a symlink to ${readlinkSync(path)}, which does not exist: pass ${options.forceFlag ?? '--force'} to replace the symlink, or choose another ${options.option}`,
    );
  }
  if (entry) throw existsError(path, options);
}

/**
 * Checks, before any work, that a folder can be written at `path` ({@link checkWritable}: its nearest existing
 * parent is a writable folder, the path is not a file), and that a folder that exists and is not empty is only
 * written over with `force` (nothing is overwritten silently).
 *
 * @param path - the output folder
 * @param options - the option name, `force` and the flag that sets it
 * @throws InvalidOptionsError telling the user what to change
 * @internal
 */
export function checkOutputFolder(path: string, options: CheckOutputFileOptions): void {
  checkWritable(path, {
    option: options.option,
    kind: 'folder',
    ...(options.createsParents !== undefined && { createsParents: options.createsParents }),
  });
  const s = statSync(path, { throwIfNoEntry: false });
  if (s?.isDirectory() && readdirSync(path).length > 0 && !options.force) throw existsError(path, options);
}
