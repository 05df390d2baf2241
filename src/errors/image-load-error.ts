import { BotlensError } from './botlens-error.js';

/**
 * An image (a profile avatar) could not be read or decoded: a missing file, bytes that are not an image, a URL
 * that failed or that offline mode forbids fetching. The message says which input and what to do.
 *
 * @example
 * ```ts
 * try {
 *   await clip.embedImage(['/no/such/avatar.png']);
 * } catch (err) {
 *   if (ImageLoadError.isInstance(err)) console.error(err.source, err.message);
 * }
 * ```
 */
export class ImageLoadError extends BotlensError {
  /** A short description of the input: a path, a URL, `data URL` or `N bytes`. */
  readonly source: string;

  /**
   * @param source - a short description of the image input
   * @param message - what went wrong and how to fix it
   * @param options - the underlying cause
   */
  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super('IMAGE_LOAD', message, options);
    this.name = 'ImageLoadError';
    this.source = source;
  }

  /** True when `value` is an ImageLoadError from any copy of the package. */
  static override isInstance(value: unknown): value is ImageLoadError {
    return BotlensError.isInstance(value) && value.code === 'IMAGE_LOAD';
  }
}
