import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { BotlensError } from '../errors/botlens-error.js';

/**
 * The error for an input file that cannot be read: `Cannot read PATH (CODE): check the path and permissions.`
 *
 * @param path - the file as the user gave it
 * @param cause - what the file system threw (its `code`, such as `ENOENT`, is named)
 */
export function cannotReadError(path: string, cause: unknown): BotlensError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return new BotlensError(
    'READ_FAILED',
    `Cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}: check the path and permissions.`,
    { cause },
  );
}

/**
 * Checks, without reading it, that an input file exists, is not a folder and may be read: a command calls it before
 * it does anything slow (a model load), so a wrong path fails at once.
 *
 * @param path - the file
 * @throws BotlensError `READ_FAILED` ({@link cannotReadError}) when it cannot be read
 */
export async function checkReadable(path: string): Promise<void> {
  try {
    if ((await stat(path)).isDirectory())
      throw Object.assign(new Error(`${path} is a folder`), { code: 'EISDIR' });
    await access(path, constants.R_OK);
  } catch (cause) {
    throw cannotReadError(path, cause);
  }
}
