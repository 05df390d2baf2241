import { BotlensError } from '../errors/botlens-error.js';
import { writeFileAtomic } from '../fs/atomic-write.js';

/**
 * Writes a file through a temporary sibling then renames it into place, so a reader never sees half a model.
 *
 * @param target - the file to write
 * @param bytes - its content
 * @throws BotlensError with code `QUANT_WRITE` when the file cannot be written (the temporary file is removed)
 *
 * @internal
 */
export async function writeOutputFile(target: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(target, bytes);
  } catch (cause) {
    throw new BotlensError('QUANT_WRITE', `Cannot write ${target}: check the folder is writable.`, { cause });
  }
}
