import { randomBytes } from 'node:crypto';
import { lstat, open, rename, rm } from 'node:fs/promises';
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
 * @param target - the file to write (its folder must exist)
 * @param data - the content: bytes, or a string written as UTF-8
 * @throws BotlensError with code `WRITE_FAILED` when the file cannot be written
 * @internal
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
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
    await rename(tmp, target);
  } catch (cause) {
    await rm(tmp, { force: true });
    const code = (cause as NodeJS.ErrnoException).code;
    throw new BotlensError(
      'WRITE_FAILED',
      `Cannot write ${target}${code ? ` (${code})` : ''}: check that its folder exists and is writable.`,
      { cause },
    );
  }
}
