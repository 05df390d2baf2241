import { BotlensError } from './botlens-error.js';

/**
 * A file's bytes do not match the SHA-256 digest its source lists (a corrupted or tampered download, or a cached
 * model file changed after it was pulled). Nothing is written or loaded from such a file.
 *
 * @example
 * ```ts
 * try {
 *   await pullModel('Xenova/e5-small-v2');
 * } catch (err) {
 *   if (IntegrityError.isInstance(err)) console.error(err.file, err.expected, err.actual);
 * }
 * ```
 */
export class IntegrityError extends BotlensError {
  /** The file that failed the check. */
  readonly file: string;
  /** The digest the source lists (hex). */
  readonly expected: string;
  /** The digest of the bytes (hex). */
  readonly actual: string;

  /**
   * @param file - the file that failed the check
   * @param expected - the digest the source lists
   * @param actual - the digest of the bytes
   * @param message - what happened and what to do
   */
  constructor(file: string, expected: string, actual: string, message: string) {
    super('INTEGRITY', message);
    this.name = 'IntegrityError';
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }

  /**
   * True for an IntegrityError, also one from another copy of botlens.
   *
   * @param value - anything
   */
  static override isInstance(value: unknown): value is IntegrityError {
    return BotlensError.isInstance(value) && value.code === 'INTEGRITY';
  }
}
