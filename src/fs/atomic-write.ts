import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BotlensError } from '../errors/botlens-error.js';

/**
 * A temporary name beside `target` (same folder, so the final rename never crosses file systems), hidden and
 * unique per call: `.<name>.<random>.part`.
 *
 * @param target - the file that will be written
 * @internal
 */
export function tempSiblingPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.part`);
}

/**
 * Writes a file atomically: the bytes go to a temporary sibling, are flushed to disk, and the sibling is renamed
 * over `target`. A reader never sees half a file, and a failed or interrupted write leaves `target` as it was
 * (the temporary file is removed on failure). Every botlens command that writes a file writes through here.
 * A symlink at `target` is replaced by the file, never written through; a device, pipe or socket there is refused
 * (renaming over it would replace it).
 *
 * With `replace: false` the whole file is linked in only where nothing is at `target` (a hard link, which fails
 * when an entry is there, instead of the rename): a file another process created meanwhile, after the caller
 * checked that `target` was free, is never replaced, and this write fails instead.
 *
 * @param target - the file to write (its folder must exist)
 * @param data - the content: bytes, or a string written as UTF-8
 * @param options - `replace: false` to fail when `target` exists when the file is complete
 * @defaultValue options: `{ replace: true }`
 * @throws BotlensError with code `WRITE_FAILED` when the file cannot be written, or with `replace: false` when
 *   `target` exists by then (the error's cause has code `EEXIST`)
 * @internal
 */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array | string,
  options: { replace?: boolean } = {},
): Promise<void> {
  const there = await lstat(target).catch(() => undefined);
  if (there !== undefined && !there.isFile() && !there.isSymbolicLink() && !there.isDirectory())
    throw new BotlensError(
      'WRITE_FAILED',
      `Cannot write ${target}: it is not a regular file (a device, pipe or socket), which writing would replace: write to a file.`,
    );
  const tmp = tempSiblingPath(target);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (options.replace ?? true) await rename(tmp, target);
    else await placeWithoutReplacing(tmp, target);
  } catch (cause) {
    await rm(tmp, { force: true });
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new BotlensError(
        'WRITE_FAILED',
        `Cannot write ${target}: it exists now, though it did not when this run started (another run wrote it meanwhile?), and it is not replaced: keep it, or remove it (or pass --force) and run again.`,
        { cause },
      );
    throw new BotlensError(
      'WRITE_FAILED',
      `Cannot write ${target}${code ? ` (${code})` : ''}: check that its folder exists and is writable.`,
      { cause },
    );
  }
}

/**
 * Puts the complete file `tmp` at `target` only where nothing is there: a hard link (atomic, fails with EEXIST
 * when `target` exists), then the temporary name is removed. On a file system without hard links, an exclusive
 * copy (also EEXIST when `target` exists; a reader may see it while it is being copied).
 */
async function placeWithoutReplacing(tmp: string, target: string): Promise<void> {
  try {
    await link(tmp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    await copyFile(tmp, target, constants.COPYFILE_EXCL);
  }
  await rm(tmp, { force: true });
}
