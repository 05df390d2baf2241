import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RawImage } from '@huggingface/transformers';
import { AbortedError } from '../errors/aborted-error.js';
import { ImageLoadError } from '../errors/image-load-error.js';
import { expandHome } from '../hub/cache-dir.js';
import { loadTransformers } from './load-model.js';

/**
 * An image as botlens accepts it (e.g. `profile.avatar`): a file path, a `file:`, `http(s):` or `data:` URL,
 * or the encoded bytes (PNG, JPEG, WebP, GIF, ...).
 */
export type ImageInput = string | URL | Uint8Array;

/** Options for `readImageBytes` and `loadImage`. */
export interface ReadImageOptions {
  /**
   * Refuse `http(s)` URLs (nothing is fetched).
   * @defaultValue false
   */
  offline?: boolean;
  /** Cancels a download. */
  signal?: AbortSignal;
  /**
   * Longest wait for an `http(s)` download, in milliseconds.
   * @defaultValue 10000
   */
  timeoutMs?: number;
  /**
   * Largest image accepted, in bytes (downloads are cut off beyond it).
   * @defaultValue 10485760 (10 MiB)
   */
  maxBytes?: number;
  /**
   * The fetch function for `http(s)` URLs (inject one for proxies or tests).
   * @defaultValue globalThis.fetch
   */
  fetch?: typeof fetch;
}

/**
 * A short, safe description of an image input for messages: the path or URL (truncated), `data URL`, or
 * `N bytes`.
 *
 * @param input - the image input
 * @example
 * ```ts
 * describeImage(new Uint8Array(10)); // '10 bytes'
 * ```
 */
export function describeImage(input: ImageInput): string {
  if (input instanceof Uint8Array) return `${input.length} bytes`;
  const s = String(input);
  if (s.startsWith('data:')) return 'data URL';
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * True when the input is an `http(s)` URL (which needs the network).
 *
 * @param input - the image input
 */
export function isRemoteImage(input: ImageInput): boolean {
  return !(input instanceof Uint8Array) && /^https?:\/\//i.test(String(input));
}

function decodeDataUrl(s: string, source: string): Uint8Array {
  const m = /^data:([^,]*?)(;base64)?,(.*)$/is.exec(s);
  if (!m) throw new ImageLoadError(source, 'Malformed data URL: expected data:image/png;base64,<data>.');
  const body = m[3] ?? '';
  return m[2]
    ? new Uint8Array(Buffer.from(body, 'base64'))
    : new Uint8Array(Buffer.from(decodeURIComponent(body)));
}

async function download(url: string, source: string, opts: ReadImageOptions): Promise<Uint8Array> {
  if (opts.offline) {
    throw new ImageLoadError(
      source,
      `Offline mode does not fetch "${source}": pass the image as a file path or bytes.`,
    );
  }
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 10_000)];
  if (opts.signal) signals.push(opts.signal);
  const signal = AbortSignal.any(signals);
  const doFetch = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(url, { signal, redirect: 'follow' });
  } catch (cause) {
    AbortedError.throwIfAborted(opts.signal, 'image download');
    throw new ImageLoadError(source, `Could not download "${source}" (${String(cause)}).`, { cause });
  }
  if (!res.ok || !res.body) {
    throw new ImageLoadError(source, `Downloading "${source}" failed with HTTP ${res.status}.`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel();
        throw new ImageLoadError(source, `"${source}" is larger than ${maxBytes} bytes (maxBytes).`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (ImageLoadError.isInstance(cause)) throw cause;
    AbortedError.throwIfAborted(opts.signal, 'image download');
    throw new ImageLoadError(source, `Downloading "${source}" was interrupted (${String(cause)}).`, {
      cause,
    });
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * Reads the encoded bytes of an image input: reads files, decodes data URLs, downloads `http(s)` URLs (unless
 * offline, with a timeout and a size limit).
 *
 * @param input - the image input
 * @param opts - offline flag, abort signal, timeout, size limit, fetch
 * @throws ImageLoadError naming the input and the fix
 * @example
 * ```ts
 * const bytes = await readImageBytes('./avatar.png');
 * ```
 */
export async function readImageBytes(input: ImageInput, opts: ReadImageOptions = {}): Promise<Uint8Array> {
  AbortedError.throwIfAborted(opts.signal, 'image loading');
  const source = describeImage(input);
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw new ImageLoadError(source, 'The image bytes are empty.');
    return input;
  }
  const s = String(input);
  if (s.startsWith('data:')) return decodeDataUrl(s, source);
  if (isRemoteImage(s)) return download(s, source, opts);
  let path: string;
  try {
    path = s.startsWith('file:') ? fileURLToPath(s) : expandHome(s);
  } catch (cause) {
    throw new ImageLoadError(source, `"${source}" is not a valid file URL.`, { cause });
  }
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new ImageLoadError(
      source,
      `Could not read the image file "${path}" (${(cause as NodeJS.ErrnoException).code ?? String(cause)}): check the path.`,
      { cause },
    );
  }
}

/**
 * Reads and decodes an image with the transformers.js image loader (`RawImage`, backed by sharp in Node).
 *
 * @param input - the image input
 * @param opts - see {@link ReadImageOptions}
 * @throws ImageLoadError when it cannot be read or decoded
 * @example
 * ```ts
 * const img = await loadImage('data:image/png;base64,iVBORw0KGgo...');
 * img.width;
 * ```
 */
export async function loadImage(input: ImageInput, opts: ReadImageOptions = {}): Promise<RawImage> {
  const bytes = await readImageBytes(input, opts);
  const T = await loadTransformers();
  try {
    return await T.RawImage.fromBlob(new Blob([bytes]));
  } catch (cause) {
    const source = describeImage(input);
    throw new ImageLoadError(
      source,
      `"${source}" is not a decodable image (${String(cause).split('\n')[0]}): use PNG, JPEG, WebP or GIF.`,
      { cause },
    );
  }
}
